"""Signup under load, against the real server: ``newsdesk serve`` (granian) as a subprocess.

Fifty client threads each play a fixed script of cycles: sign up, read the confirmation email
from an in-process SMTP server and confirm, or repeat an address other clients use at the same
time, or send malformed, oversized, cross-site or honeypot requests. The scripts are seeded, so
the run does the same work however fast the machine is: every request must get the status its
step expects, and the database read after the server stops must hold exactly the addresses the
scripts signed up, each confirmed once. Timeouts only stop a hung run; no assertion is about
how fast anything was. A second, smaller run with low limits
checks that the rate limiter answers 429 under concurrency and counts every hit.

The server runs on SQLite in its own data directory, or, when the test run has DATABASE_URL set,
on a throwaway PostgreSQL database created next to the one DATABASE_URL names.
"""

from __future__ import annotations

import email
import email.policy
import http.client
import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from tests.newsletter.conftest import free_port, smtp_server_running
from tests.process_database import NEWSDESK, ProcessDatabase, process_database

CLIENTS = 50
CYCLES = 6  # per client: about 300 cycles and 1,500 requests in all
# Hang guards only, generous on purpose: a slow shared machine must not fail the test.
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 60.0
MAIL_TIMEOUT = 60.0
RUN_TIMEOUT = 900.0
# Two worker processes of four threads: eight requests at once inside the server, from two
# processes, so database writes contend both across threads and across processes.
SERVE_SIZE = ("--workers", "2", "--threads", "4")
LIMIT_WINDOW_SECONDS = 3600  # newsdesk.newsletter.subscriptions.views.LIMIT_WINDOW
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CONFIRM_LINK = re.compile(r"https?://[^\s<>\"]+/newsletter/confirm/[^\s<>\"]+")


# --- Mail ---------------------------------------------------------------------------------------


@dataclass
class Mail:
    recipient: str  # case-folded
    subject: str
    text: str


class IndexedMailbox:
    """aiosmtpd handler that files each message under its case-folded recipient, so fifty
    threads can wait for their own message without scanning everything that arrived."""

    def __init__(self) -> None:
        self.by_recipient: dict[str, list[Mail]] = defaultdict(list)
        self.condition = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        with self.condition:
            for recipient in envelope.rcpt_tos:
                key = recipient.casefold()
                self.by_recipient[key].append(Mail(key, str(parsed["Subject"]), text))
            self.condition.notify_all()
        return "250 Message accepted for delivery"

    def mails(self, address: str) -> list[Mail]:
        with self.condition:
            return list(self.by_recipient.get(address.casefold(), []))

    def wait_for(self, address: str, subject_start: str, timeout: float) -> Mail | None:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for mail in self.by_recipient.get(address.casefold(), []):
                    if mail.subject.startswith(subject_start):
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.condition.wait(remaining)


@pytest.fixture
def smtp() -> Iterator[tuple[IndexedMailbox, int]]:
    mailbox = IndexedMailbox()
    with smtp_server_running(mailbox) as port:
        yield mailbox, port


# --- Database -----------------------------------------------------------------------------------


def confirmed_statuses(database: ProcessDatabase, domain: str) -> dict[str, list[str]]:
    """email_key -> statuses of the rows for addresses at ``domain`` (one row each, we hope)."""
    rows = database.query(
        "SELECT email_key, status FROM newsletter_subscriber WHERE email_key LIKE %s",
        (f"%@{domain}",),
    )
    result: dict[str, list[str]] = defaultdict(list)
    for key, status in rows:
        result[key].append(status)
    return dict(result)


@pytest.fixture(scope="module")
def server_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessDatabase]:
    """A migrated database for the servers of this module (migrating takes seconds, so once)."""
    data_dir = tmp_path_factory.mktemp("newsdesk-concurrency")
    with process_database(data_dir, prefix="newsdesk_concurrency") as database:
        yield database


# --- Server -------------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """SIGTERM to granian's process group (its workers are children), SIGKILL if it lingers;
        returns only when no process of the group is left."""
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                try:
                    os.killpg(self.process.pid, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.05)
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return
        raise AssertionError(f"processes of group {self.process.pid} survived SIGKILL")

    def problems(self) -> list[str]:
        """Lines of the server's output that mean something went wrong inside."""
        lines = self.log.read_text(errors="replace").splitlines()
        markers = ("Internal Server Error", "database is locked", "OperationalError")
        found = [line for line in lines if any(marker in line for marker in markers)]
        for number, line in enumerate(lines):
            if not line.startswith("Traceback"):
                continue
            # The exception is the first unindented line after the traceback. Django logs a
            # multipart body it cannot parse with its traceback, and answers 400: expected.
            ending = next((text for text in lines[number + 1 :] if not text.startswith(" ")), "")
            if not ending.startswith("django.http.multipartparser.MultiPartParserError"):
                found.append(ending or line)
        return found


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"newsdesk serve exited:\n{server.log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
            try:
                connection.request("GET", "/subscribe/")
                if connection.getresponse().status == 200:
                    return
            finally:
                connection.close()
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"newsdesk serve did not answer:\n{server.log.read_text()}")


@pytest.fixture
def start_server(
    server_database: ProcessDatabase, smtp: tuple[IndexedMailbox, int]
) -> Iterator[Callable[..., Server]]:
    """Start ``newsdesk serve`` with extra environment; every server started is stopped."""
    started: list[Server] = []

    def start(**extra: str) -> Server:
        port = free_port()
        env = server_database.env(
            site_url=f"http://127.0.0.1:{port}",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp[1]}?timeout=10",
            # Up to 50 clients post at once, and one worker may be handed most of them: past
            # this cap (32 by default) the server answers 503 by design (ops/bridge/body.py,
            # tested in tests/ops). These tests are about signups, so the cap is out of reach.
            NEWSDESK_BODY_WAITING_MAX="1000",
            **extra,
        )
        log = server_database.data_dir / f"serve-{port}.log"
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                [str(NEWSDESK), "serve", "--host", "127.0.0.1", "--port", str(port), *SERVE_SIZE],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Server(port, process, log)
        started.append(server)
        _wait_until_up(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()


# --- HTTP clients -------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    text: str
    seconds: float

    def csrf_token(self) -> str:
        """The page's CSRF token; "" for the signup forms, which need none (they check the
        request's origin instead)."""
        match = CSRF_INPUT.search(self.text)
        return match.group(1) if match else ""


class Browser:
    """One reader: a keep-alive connection to the server and a cookie jar."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            reused = self.connection is not None
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT
                )
            started = time.monotonic()
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                raw = self.connection.getresponse()
                text = raw.read().decode("utf-8", errors="replace")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A keep-alive connection the server closed between requests: retry once on a
                # new one. A fresh connection failing is a real failure.
                self.close()
                if reused and attempt == 0:
                    continue
                raise
            seconds = time.monotonic() - started
            if raw.getheader("Connection", "").lower() == "close":
                self.close()
            for header in raw.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return Response(raw.status, raw.headers, text, seconds)
        raise AssertionError("unreachable")

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, str] | bytes, **headers: str) -> Response:
        body = data if isinstance(data, bytes) else urlencode(data).encode()
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return self.request("POST", path, body=body, headers=headers)

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@dataclass
class LoadLog:
    """Everything the clients saw, written from many threads."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    signed_up: set[str] = field(default_factory=set)  # case-folded, answered 302
    confirmed: set[str] = field(default_factory=set)  # case-folded, "You are subscribed"
    refused: set[str] = field(default_factory=set)  # case-folded, must have no row
    slowest: float = 0.0
    cycles: int = 0

    def check(
        self, kind: str, step: str, response: Response, expected: set[int], path: str = ""
    ) -> bool:
        with self.lock:
            self.statuses[(kind, step, response.status)] += 1
            self.slowest = max(self.slowest, response.seconds)
            if response.status >= 500:
                self.server_errors.append(f"{kind}/{step} {path}: {response.status}")
            if response.status not in expected:
                snippet = re.sub(r"\s+", " ", response.text)[:300]
                self.unexpected.append(
                    f"{kind}/{step} {path}: {response.status} not in {expected}: {snippet}"
                )
                return False
        return True

    def add(self, name: str, value: str) -> None:
        with self.lock:
            getattr(self, name).add(value)


def _confirm_path(mail: Mail) -> str:
    match = CONFIRM_LINK.search(mail.text)
    assert match, f"no confirmation link in {mail.text!r}"
    return urlsplit(match.group(0)).path


class Reader:
    """One of the fifty clients: ``CYCLES`` signups of varied kinds, chosen by a seeded random
    generator so that the script is the same on every run."""

    def __init__(
        self, index: int, server: Server, mailbox: IndexedMailbox, log: LoadLog, domain: str
    ) -> None:
        self.index = index
        self.browser = Browser(server.port)
        self.mailbox = mailbox
        self.log = log
        self.domain = domain
        self.random = random.Random(index)

    def plan(self) -> list[tuple[str, str]]:
        """(kind, address) for each cycle; the address is what the cycle types, or ""."""
        steps = []
        for cycle in range(CYCLES):
            roll = self.random.random()
            if roll < 0.65:
                steps.append(("unique", f"reader{self.index}-{cycle}@{self.domain}"))
            elif roll < 0.80:
                # A few popular addresses, typed in varying case, by the clients that are at the
                # same cycle at once: signups and confirmations of one address race.
                shared = f"shared{cycle}-{self.random.randrange(3)}@{self.domain}"
                steps.append(("repeat", shared.upper() if self.random.random() < 0.5 else shared))
            elif roll < 0.92:
                steps.append(("bad", ""))
            elif roll < 0.96:
                steps.append(("honeypot", f"bot{self.index}-{cycle}@{self.domain}"))
            else:
                steps.append(("cross-site", f"forged{self.index}-{cycle}@{self.domain}"))
        return steps

    def run(self, steps: list[tuple[str, str]], start: threading.Barrier) -> None:
        try:
            start.wait(timeout=START_TIMEOUT)  # every client begins at once
            for cycle, (kind, address) in enumerate(steps):
                if kind in {"unique", "repeat"}:
                    self.signup_and_confirm(kind, address)
                elif kind == "bad":
                    self.bad_input(cycle)
                elif kind == "honeypot":
                    self.honeypot(address)
                else:
                    self.cross_site(address)
                with self.log.lock:
                    self.log.cycles += 1
        except Exception as exc:  # recorded, so one broken client does not hide the others
            with self.log.lock:
                self.log.failures.append(f"client {self.index}: {exc!r}")
        finally:
            self.browser.close()

    def form(self, kind: str) -> str:
        page = self.browser.get("/subscribe/")
        self.log.check(kind, "form", page, {200})
        return page.csrf_token()

    def signup_and_confirm(self, kind: str, address: str) -> None:
        token = self.form(kind)
        data = {"email": address, "frequency": "daily", "website": "", "csrfmiddlewaretoken": token}
        response = self.browser.post("/subscribe/", data)
        if not self.log.check(kind, "signup", response, {302}):
            return
        assert response.headers["Location"] == "/subscribe/thanks/", response.headers["Location"]
        self.log.add("signed_up", address.casefold())
        self.log.check(kind, "thanks", self.browser.get("/subscribe/thanks/"), {200})
        mail = self.mailbox.wait_for(address, "Confirm your subscription", MAIL_TIMEOUT)
        if mail is None:
            with self.log.lock:
                self.log.failures.append(f"no confirmation email for {address}")
            return
        path = _confirm_path(mail)
        page = self.browser.get(path)
        if not self.log.check(kind, "confirm-page", page, {200}, path):
            return
        assert "Confirm my subscription" in page.text
        done = self.browser.post(path, {"csrfmiddlewaretoken": page.csrf_token()})
        if self.log.check(kind, "confirm", done, {200}, path):
            assert "You are subscribed" in done.text, done.text[:500]
            self.log.add("confirmed", address.casefold())

    def bad_input(self, cycle: int) -> None:
        variant = cycle % 6
        token = self.form("bad")
        address = f"bad{self.index}-{cycle}@{self.domain}"
        if variant == 0:  # not an address
            data = {"email": "not an address", "csrfmiddlewaretoken": token}
            self.log.check("bad", "malformed", self.browser.post("/subscribe/", data), {400})
        elif variant == 1:  # one field far too long
            data = {"email": "x" * 5000 + "@" + self.domain, "csrfmiddlewaretoken": token}
            self.log.check("bad", "long-field", self.browser.post("/subscribe/", data), {400})
            self.log.add("refused", ("x" * 5000 + "@" + self.domain).casefold())
        elif variant == 2:  # a body over the limit made of many ordinary fields
            data = {"email": address, "csrfmiddlewaretoken": token}
            data.update({f"pad{n}": "p" * 1000 for n in range(20)})
            self.log.check("bad", "big-body", self.browser.post("/subscribe/", data), {400})
            self.log.add("refused", address)
        elif variant == 3:  # bytes that are not UTF-8, and a choice that does not exist
            body = f"csrfmiddlewaretoken={token}&email=%ff%fe{address}&frequency=hourly\xff"
            response = self.browser.post("/subscribe/", body.encode("latin-1"))
            self.log.check("bad", "not-utf8", response, {400})
        elif variant == 4:  # a multipart body without a boundary
            response = self.browser.post(
                "/subscribe/", b"garbage", **{"Content-Type": "multipart/form-data"}
            )
            self.log.check("bad", "multipart", response, {400, 403})
        else:  # a forged confirmation link, read and submitted
            path = "/newsletter/confirm/eyJzIjoxfQ:forged:signature/"
            self.log.check("bad", "forged-page", self.browser.get(path), {400}, path)
            response = self.browser.post(path, {"csrfmiddlewaretoken": token})
            # Refused either way: 403 when this client holds no CSRF cookie yet (the signup
            # pages set none), 400 for the forged token when it does.
            self.log.check("bad", "forged-post", response, {400, 403}, path)

    def honeypot(self, address: str) -> None:
        token = self.form("honeypot")
        data = {"email": address, "website": "http://spam.example", "csrfmiddlewaretoken": token}
        self.log.check("honeypot", "signup", self.browser.post("/subscribe/", data), {302})
        self.log.add("refused", address.casefold())

    def cross_site(self, address: str) -> None:
        """A form on another site posting here, as a browser sends it: refused."""
        headers = {"Origin": "https://elsewhere.example", "Sec-Fetch-Site": "cross-site"}
        forger = Browser(self.browser.port, headers)
        try:
            response = forger.post("/subscribe/", {"email": address, "website": ""})
        finally:
            forger.close()
        self.log.check("cross-site", "signup", response, {403})
        self.log.add("refused", address.casefold())


def _watch(server: Server, stop: threading.Event, answers: list[int], errors: list[str]) -> None:
    """A reader arriving during the load, every half second: the signup page keeps answering
    (at least once, however short the load)."""
    while True:
        browser = Browser(server.port)
        try:
            response = browser.get("/subscribe/")
            answers.append(response.status)
            if response.status != 200:
                errors.append(f"watch: {response.status}")
        except OSError as exc:
            errors.append(f"watch: {exc!r}")
        finally:
            browser.close()
        if stop.wait(0.5):
            return


# --- Tests --------------------------------------------------------------------------------------


def test_fifty_concurrent_readers_sign_up_and_confirm(
    start_server: Callable[..., Server],
    smtp: tuple[IndexedMailbox, int],
    server_database: ProcessDatabase,
) -> None:
    mailbox = smtp[0]
    server = start_server(
        NEWSDESK_SIGNUP_LIMIT_PER_IP="1000000", NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS="1000000"
    )
    domain = f"r{uuid.uuid4().hex[:8]}.example.org"
    log = LoadLog()
    readers = [Reader(index, server, mailbox, log, domain) for index in range(CLIENTS)]
    plans = [reader.plan() for reader in readers]
    planned_signups = {
        address.casefold()
        for plan in plans
        for kind, address in plan
        if kind in {"unique", "repeat"}
    }
    stop = threading.Event()
    watch_answers: list[int] = []
    watch_errors: list[str] = []
    watcher = threading.Thread(target=_watch, args=(server, stop, watch_answers, watch_errors))
    start = threading.Barrier(CLIENTS)
    threads = [
        threading.Thread(target=reader.run, args=(plan, start))
        for reader, plan in zip(readers, plans, strict=True)
    ]
    watcher.start()
    for thread in threads:
        thread.start()
    give_up = time.monotonic() + RUN_TIMEOUT  # a hang guard, not a measure
    for thread in threads:
        thread.join(timeout=max(0.0, give_up - time.monotonic()))
    stop.set()
    watcher.join(timeout=REQUEST_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "clients still running"

    # Still answering once the load is over.
    after = Browser(server.port)
    assert after.get("/subscribe/").status == 200
    after.close()
    server.stop()  # read the database only once nothing writes to it

    summary = (
        f"{log.cycles} cycles, {len(log.signed_up)} addresses signed up, "
        f"{len(log.confirmed)} confirmed, slowest response {log.slowest:.2f}s, "
        f"statuses {sorted(log.statuses.items())}"
    )
    print(summary)
    server_errors, failures, unexpected = log.server_errors, log.failures, log.unexpected
    assert not server_errors, (len(server_errors), server_errors[:20], server.problems()[:20])
    assert not failures, (len(failures), failures[:20])
    assert not unexpected, (len(unexpected), unexpected[:20])
    assert not server.problems(), server.problems()[:20]
    assert not watch_errors, watch_errors
    assert watch_answers and set(watch_answers) == {200}, watch_answers
    # Every client played its whole script, and every step got the answer it expects: each
    # address signed up was confirmed, popular ones by several clients at once.
    assert log.cycles == CLIENTS * CYCLES, summary
    assert log.signed_up == planned_signups, summary
    assert log.confirmed == planned_signups, summary
    assert any(kind == "repeat" for plan in plans for kind, _ in plan)

    rows = confirmed_statuses(server_database, domain)
    # One row per address however many clients signed it up at once, in whatever case.
    assert all(len(statuses) == 1 for statuses in rows.values()), {
        key: statuses for key, statuses in rows.items() if len(statuses) > 1
    }
    assert set(rows) == planned_signups
    assert {status for [status] in rows.values()} == {"confirmed"}
    assert not log.refused & set(rows)

    # Mail: one confirmation per address (racing signups claim it once), one welcome per
    # confirmed address (racing confirmations confirm once), nothing else.
    for address in log.signed_up:
        subjects = Counter(mail.subject.split(" to ")[0] for mail in mailbox.mails(address))
        expected = {"Confirm your subscription": 1}
        if address in log.confirmed:
            expected["Welcome"] = 1
        assert subjects == expected, (address, subjects)
    for address in log.refused:
        assert not mailbox.mails(address), address


def test_rate_limits_answer_429_under_concurrency(
    start_server: Callable[..., Server],
    smtp: tuple[IndexedMailbox, int],
    server_database: ProcessDatabase,
) -> None:
    """Concurrent hits are all counted: exactly ``limit`` signups per client IP and per address
    get through, the rest are told 429 with Retry-After, and nothing fails."""
    per_ip, per_address = 4, 3
    server = start_server(
        NEWSDESK_SIGNUP_LIMIT_PER_IP=str(per_ip),
        NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS=str(per_address),
        NEWSDESK_TRUSTED_PROXIES="1",  # so each request can come from an IP of its own
    )
    mailbox = smtp[0]
    domain = f"l{uuid.uuid4().hex[:8]}.example.org"
    shared = f"popular@{domain}"
    prefix = f"10.{random.randrange(256)}.{random.randrange(256)}"
    jobs = [(f"{prefix}.{ip}", f"ip{ip}-{n}@{domain}") for ip in range(1, 7) for n in range(12)]
    jobs += [(f"{prefix}.{100 + n}", shared) for n in range(12)]
    random.shuffle(jobs)

    def attempt(job: tuple[str, str]) -> tuple[str, str, int, str | None]:
        ip, address = job
        browser = Browser(server.port, {"X-Forwarded-For": ip})
        try:
            token = browser.get("/subscribe/").csrf_token()
            data = {"email": address, "website": "", "csrfmiddlewaretoken": token}
            response = browser.post("/subscribe/", data)
        finally:
            browser.close()
        return ip, address, response.status, response.headers["Retry-After"]

    window_before = int(time.time()) // LIMIT_WINDOW_SECONDS
    with ThreadPoolExecutor(max_workers=len(jobs) // 2) as pool:
        results = list(pool.map(attempt, jobs))
    window_after = int(time.time()) // LIMIT_WINDOW_SECONDS
    # The worker beside the server sends the confirmation: wait for it before stopping both.
    assert mailbox.wait_for(shared, "Confirm", timeout=60) is not None
    server.stop()

    assert {status for _, _, status, _ in results} == {302, 429}, results
    assert all(retry == "3600" for _, _, status, retry in results if status == 429)
    assert not server.problems(), server.problems()
    passed_per_ip = Counter(ip for ip, address, status, _ in results if status == 302)
    passed_shared = sum(
        1 for _, address, status, _ in results if address == shared and status == 302
    )
    if window_before == window_after:  # a new hour would reset the counts halfway
        for ip in {ip for ip, address, _, _ in results if address != shared}:
            assert passed_per_ip[ip] == per_ip, (ip, passed_per_ip)
        assert passed_shared == per_address
    assert confirmed_statuses(server_database, domain)[shared] == ["pending"]
    assert len(mailbox.mails(shared)) == 1
