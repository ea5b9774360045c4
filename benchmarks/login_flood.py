"""Reader page latency while the admin login is flooded with wrong passwords.

    .venv/bin/python benchmarks/login_flood.py [--workers 1] [--threads 4] [--seconds 8]

1. A fresh data directory in a temporary folder; ``newsdesk demo --no-serve`` (about 30
   articles, the demo admin user).
2. ``newsdesk serve`` on a free 127.0.0.1 port with ``NEWSDESK_TRUSTED_PROXIES=1``: this script
   plays the one trusted proxy, so it can give each login request a client address of its own
   in ``X-Forwarded-For``, as many machines of a botnet would have.
3. One reader fetches an article page in a loop and the latency of each fetch is recorded:
   first alone, then beside ``--logins`` threads that post wrong passwords to ``/admin/login/``
   without pause, in two ways: all from one address for the demo admin (the review's case), and
   each from a new address for a new username (the worst case: no lock ever applies).
4. For each phase: the reader's median and 90th percentile, and the login answers by status.

The server is stopped at the end, also on errors. Absolute figures drift on a shared machine.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from servers import NEWSDESK, ChildServer, free_port, newsdesk_env


@dataclass
class Phase:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    logins: Counter[int] = field(default_factory=Counter)

    def row(self) -> str:
        values = sorted(self.latencies_ms)
        p50 = statistics.median(values)
        p90 = values[int(len(values) * 0.9)]
        logins = ", ".join(f"{status}: {n}" for status, n in sorted(self.logins.items())) or "-"
        return f"{self.name:<34} {len(values):>6} {p50:>9.1f} {p90:>9.1f}   {logins}"


def _request(
    port: int, method: str, path: str, *, body: str = "", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers=headers or {})
        response = connection.getresponse()
        # Several Set-Cookie headers may come back: keep them all, one a line.
        headers = {
            name.lower(): "\n".join(response.msg.get_all(name) or []) for name in response.msg
        }
        return response.status, headers, response.read()
    finally:
        connection.close()


def _login_form(port: int) -> tuple[str, str]:
    """A CSRF cookie and the matching form token from the login page."""
    status, headers, body = _request(port, "GET", "/admin/login/")
    if status != 200:
        raise RuntimeError(f"/admin/login/ answered {status}")
    cookie = re.search(r"csrftoken=([^;]+)", headers.get("set-cookie", ""))
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if not (cookie and token):
        raise RuntimeError("no CSRF token on the login page")
    return cookie.group(1), token.group(1).decode()


def _reader(port: int, path: str, phase: Phase, stop: threading.Event) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        status, _, _ = _request(port, "GET", path)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
        phase.latencies_ms.append((time.perf_counter() - started) * 1000)


def _guesser(
    port: int,
    phase: Phase,
    stop: threading.Event,
    rotate: bool,
    serial: itertools.count[int],
    lock: threading.Lock,
) -> None:
    cookie, token = _login_form(port)
    while not stop.is_set():
        n = next(serial)
        address = f"198.51.{n // 250 % 250}.{n % 250 + 1}" if rotate else "198.51.100.7"
        username = f"guess{n}" if rotate else "admin"
        form = {"csrfmiddlewaretoken": token, "username": username, "password": f"wrong-{n}"}
        status, _, _ = _request(
            port,
            "POST",
            "/admin/login/",
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={cookie}",
                "X-Forwarded-For": address,
            },
        )
        with lock:
            phase.logins[status] += 1


def run_phase(
    port: int, path: str, name: str, *, logins: int, rotate: bool, seconds: float
) -> Phase:
    phase = Phase(name)
    stop = threading.Event()
    lock = threading.Lock()
    serial = itertools.count(1)
    threads = [
        threading.Thread(target=_guesser, args=(port, phase, stop, rotate, serial, lock))
        for _ in range(logins)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.5 if logins else 0)  # let the guessers fill the server first
    reader = threading.Thread(target=_reader, args=(port, path, phase, stop))
    reader.start()
    time.sleep(seconds)
    stop.set()
    for thread in [reader, *threads]:
        thread.join()
    return phase


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1, help="granian workers (default 1)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (default 4)")
    parser.add_argument("--logins", type=int, default=8, help="concurrent guessers (default 8)")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each phase")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="newsdesk-login-flood-") as folder:
        data_dir = Path(folder) / "data"
        port = free_port()
        env = newsdesk_env(data_dir, f"http://127.0.0.1:{port}")
        env["NEWSDESK_TRUSTED_PROXIES"] = "1"
        subprocess.run(
            [str(NEWSDESK), "demo", "--no-serve"], env=env, check=True, capture_output=True
        )
        argv = [str(NEWSDESK), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
        argv += ["--workers", str(options.workers), "--threads", str(options.threads)]
        server = ChildServer(argv, env=env, log=data_dir / "serve.log")
        try:
            server.wait_until_up(f"http://127.0.0.1:{port}/robots.txt")
            status, _, body = _request(port, "GET", "/")
            links = re.findall(rb'href="(/[a-z0-9-]+/)"', body)  # an article: one path segment
            if status != 200 or not links:
                raise RuntimeError("no article link on the home page")
            path = links[0].decode()
            print(
                f"newsdesk serve --workers {options.workers} --threads {options.threads}; "
                f"reader: GET {path}; {options.logins} guessers; {options.seconds:.0f} s a phase"
            )
            print(f"{'phase':<34} {'reads':>6} {'p50 ms':>9} {'p90 ms':>9}   logins by status")
            phases = [
                ("reader alone", 0, False),
                ("one address, user admin", options.logins, False),
                ("new address and user each time", options.logins, True),
            ]
            for name, logins, rotate in phases:
                phase = run_phase(
                    port, path, name, logins=logins, rotate=rotate, seconds=options.seconds
                )
                print(phase.row(), flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
