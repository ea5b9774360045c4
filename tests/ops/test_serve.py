"""`newsdesk serve` against slow and oversized request bodies, as a real server (ops/bridge).

The attack of issue 15: clients that send a POST's headers with a large Content-Length and then
trickle the body, or stop, held every thread of the old WSGI server, and a reader's GET beside
them timed out. Here more slow clients than the server has threads wait on their bodies while
pages are timed; the slow clients must be answered 408 and disconnected soon after the
(deliberately short) deadline. The other limits, and the ordinary uploads that must still work,
are checked on the same server.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from PIL import Image

from tests.ops.serve_process import RawExchange, ServeProcess, raw_exchange, serve_running
from tests.process_database import NEWSDESK, ProcessDatabase, process_database

THREADS = 2
PAUSE = 2  # NEWSDESK_BODY_TIMEOUT for this server, seconds
WAITING_MAX = 6
MAX_BYTES = 12 * 1024 * 1024  # the default NEWSDESK_MAX_REQUEST_BYTES
# A page beside the slow clients must come back within this (it takes milliseconds alone).
PAGE_SECONDS = 2.0
EDITOR, EDITOR_PASSWORD = "editor", "a-long-test-password-1"
EMAIL = ("--email", "editor@example.org")
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
# Headers of the attack: a CSRF cookie (so Django gets as far as reading the body), no Origin.
SLOW_POST = (
    b"POST /subscribe/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Cookie: csrftoken=abcdefghijklmnopqrstuvwxyzABCDEF\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100000\r\n\r\n"
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessDatabase]:
    data_dir = tmp_path_factory.mktemp("newsdesk-serve")
    with process_database(data_dir, prefix="newsdesk_serve") as database:
        result = subprocess.run(
            [str(NEWSDESK), "createsuperuser", "--no-input", "--username", EDITOR, *EMAIL],
            env=database.env(
                site_url="http://127.0.0.1", DJANGO_SUPERUSER_PASSWORD=EDITOR_PASSWORD
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        yield database


@pytest.fixture(scope="module")
def server(database: ProcessDatabase) -> Iterator[ServeProcess]:
    with serve_running(
        database,
        threads=THREADS,
        NEWSDESK_BODY_TIMEOUT=str(PAUSE),
        NEWSDESK_BODY_WAITING_MAX=str(WAITING_MAX),
    ) as server:
        yield server


def _slow_clients(server: ServeProcess, count: int) -> list[RawExchange]:
    """``count`` slow POSTs at once, half trickling a byte every half second, half stalled."""
    with ThreadPoolExecutor(count) as pool:
        futures = [
            pool.submit(raw_exchange, server.port, SLOW_POST, body=b"e", trickle=trickle)
            for trickle in [b"a", b""] * (count // 2)
        ]
        return [future.result() for future in futures]


def test_pages_answer_while_more_slow_clients_than_threads_wait_on_their_bodies(
    server: ServeProcess,
) -> None:
    clients: list[RawExchange] = []
    runner = threading.Thread(target=lambda: clients.extend(_slow_clients(server, 3 * THREADS)))
    runner.start()
    time.sleep(0.5)  # the slow clients have sent their headers and are trickling or stalled
    pages = [server.get(path, timeout=30) for path in ("/robots.txt", "/subscribe/")]
    runner.join()
    for status, _, _, seconds in pages:
        assert status == 200
        assert seconds < PAGE_SECONDS
    assert len(clients) == 3 * THREADS
    for client in clients:
        assert client.status == 408, client
        assert b"did not arrive in time" in client.data
        # Answered and disconnected once the deadline passed, not before and not much later.
        assert client.answered is not None and client.closed is not None
        assert PAUSE - 0.5 <= client.answered <= client.closed < PAUSE + 2.0


def test_a_declared_body_over_the_limit_gets_413_at_once(server: ServeProcess) -> None:
    head = SLOW_POST.replace(b"100000", str(MAX_BYTES + 1).encode())
    client = raw_exchange(server.port, head)
    assert client.status == 413
    assert b"NEWSDESK_MAX_REQUEST_BYTES" in client.data
    assert client.closed is not None and client.closed < 1.0


def test_a_chunked_body_growing_over_the_limit_gets_413(server: ServeProcess) -> None:
    head = SLOW_POST.replace(b"Content-Length: 100000", b"Transfer-Encoding: chunked")
    chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"a" * 1024 * 1024)
    client = raw_exchange(server.port, head, body=chunk * 13, limit=10)
    assert client.status == 413
    assert client.closed is not None


def test_too_many_requests_waiting_on_a_body_get_503_and_pages_still_answer(
    server: ServeProcess,
) -> None:
    holders: list[RawExchange] = []
    runner = threading.Thread(target=lambda: holders.extend(_slow_clients(server, WAITING_MAX)))
    runner.start()
    time.sleep(0.5)
    extra = raw_exchange(server.port, SLOW_POST, body=b"e")
    page = server.get("/robots.txt")
    runner.join()
    assert extra.status == 503
    assert extra.header("Retry-After") == str(PAUSE)
    assert extra.closed is not None and extra.closed < 1.0
    assert page[0] == 200 and page[3] < PAGE_SECONDS
    assert [holder.status for holder in holders] == [408] * WAITING_MAX


# --- What must keep working -----------------------------------------------------------------------


@dataclass
class Session:
    """A reader or editor with a cookie jar, one connection per request."""

    server: ServeProcess
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, body: bytes | Iterator[bytes] | None = None, **headers: str
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self.server.connection()
        try:
            chunked = body is not None and not isinstance(body, bytes)
            connection.request(method, path, body=body, headers=headers, encode_chunked=chunked)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, data

    def form_token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        assert status == 200, page
        match = CSRF_INPUT.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1).decode()


def _subscribers(database: ProcessDatabase, address: str) -> int:
    rows = database.query("SELECT COUNT(*) FROM newsletter_subscriber WHERE email = %s", (address,))
    return int(rows[0][0])


def test_a_signup_form_post_still_works(server: ServeProcess, database: ProcessDatabase) -> None:
    session = Session(server)
    address = f"reader-{uuid.uuid4().hex[:8]}@example.org"
    # The signup form carries no CSRF token (the page stays cacheable): the browser's own
    # Sec-Fetch-Site says where it came from.
    status, page_headers, _ = session.request("GET", "/subscribe/")
    assert status == 200 and "Set-Cookie" not in page_headers
    form = {"email": address}
    status, headers, _ = session.request(
        "POST",
        "/subscribe/",
        urlencode(form).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
    )
    assert status == 302 and headers["Location"] == "/subscribe/thanks/"
    assert _subscribers(database, address) == 1


def test_a_chunked_form_post_reaches_django_whole(
    server: ServeProcess, database: ProcessDatabase
) -> None:
    session = Session(server)
    address = f"chunked-{uuid.uuid4().hex[:8]}@example.org"
    form = urlencode({"email": address})
    pieces = iter([form[:10].encode(), form[10:].encode()])
    status, _, _ = session.request(
        "POST", "/subscribe/", pieces, **{"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert status == 302
    assert _subscribers(database, address) == 1


def _multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_an_editor_can_upload_a_nine_megabyte_image(
    server: ServeProcess, database: ProcessDatabase
) -> None:
    session = Session(server)
    login = {
        "csrfmiddlewaretoken": session.form_token("/admin/login/"),
        "username": EDITOR,
        "password": EDITOR_PASSWORD,
    }
    status, _, _ = session.request(
        "POST",
        "/admin/login/",
        urlencode(login).encode(),
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 302
    # Random pixels do not compress: about 9 MB of PNG, under Wagtail's 10 MB image limit.
    picture = io.BytesIO()
    Image.frombytes("RGB", (1750, 1750), os.urandom(1750 * 1750 * 3)).save(picture, "PNG")
    assert 8_500_000 < len(picture.getvalue()) < 10 * 1024 * 1024
    title = f"Upload {uuid.uuid4().hex[:8]}"
    token = session.form_token("/admin/images/add/")
    body, content_type = _multipart(
        {"csrfmiddlewaretoken": token, "title": title, "collection": "1", "tags": ""},
        {"file": ("harbour.png", picture.getvalue())},
    )
    status, _, page = session.request(
        "POST", "/admin/images/add/", body, **{"Content-Type": content_type}
    )
    assert status == 302, page[:2000]
    rows = database.query("SELECT width FROM wagtailimages_image WHERE title = %s", (title,))
    assert rows == [(1750,)]


def _collected(database: ProcessDatabase, prefix: str) -> Path:
    """The largest collected static file under ``prefix`` (hashed name, as served)."""
    root = database.data_dir / "static"
    files = [
        path for path in (root / prefix).rglob("*.js") if re.search(r"\.[0-9a-f]{12}\.", path.name)
    ]
    return max(files, key=lambda path: path.stat().st_size)


def test_static_files_and_large_uploads_arrive_whole(
    server: ServeProcess, database: ProcessDatabase
) -> None:
    script = _collected(database, "wagtailadmin")
    assert script.stat().st_size > 256 * 1024  # read and sent in many 64 KB blocks
    status, headers, body, _ = server.get(
        "/static/" + str(script.relative_to(database.data_dir / "static"))
    )
    assert status == 200 and body == script.read_bytes()
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    media = database.data_dir / "media" / "big.bin"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_bytes(os.urandom(3 * 1024 * 1024))  # over the bridge's 1 MB: sent by its path
    status, _, body, _ = server.get("/media/big.bin")
    assert status == 200 and body == media.read_bytes()


def test_clients_that_never_read_a_large_file_hold_no_thread(
    server: ServeProcess, database: ProcessDatabase
) -> None:
    media = database.data_dir / "media" / "stalled.bin"
    media.parent.mkdir(parents=True, exist_ok=True)
    media.write_bytes(os.urandom(8 * 1024 * 1024))
    head = b"GET /media/stalled.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with ThreadPoolExecutor(3 * THREADS) as pool:
        futures = [
            pool.submit(raw_exchange, server.port, head, read=False, limit=4)
            for _ in range(3 * THREADS)
        ]
        time.sleep(1.0)
        status, _, _, seconds = server.get("/robots.txt")
        for future in futures:
            future.result()
    assert status == 200 and seconds < PAGE_SECONDS
