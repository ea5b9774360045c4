"""Crash safety of the digest sender, with real processes and SIGKILL.

``newsdesk digest send`` runs as a subprocess against 1,000 confirmed readers and an in-process
SMTP server that takes a few milliseconds per message, so every connection has a message in
flight most of the time. The sender is killed with SIGKILL after a random number of messages,
several times, and restarted each time; the last run is left to finish. Then:

- every reader has the digest;
- the only duplicates are messages that were in flight at a kill: per kill at most one per
  SMTP connection, never two copies from one run;
- a duplicate carries the same Message-ID as the first copy;
- every delivery row ends ``sent`` and the digest ends ``sent``.

The runs use SQLite in a throwaway data directory, or, when the test run has DATABASE_URL set,
a throwaway PostgreSQL database created next to the one DATABASE_URL names.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest

from tests.newsletter.conftest import smtp_server_running
from tests.process_database import NEWSDESK, ProcessDatabase, process_database

READERS = 1000
CONNECTIONS = 4
KILLS = 4
SEED = 20260404
# Per message, between storing it and answering 250: the window in which a kill makes a duplicate.
SERVER_DELAY = 0.004
SITE_URL = "http://127.0.0.1:8000"
RUN_TIMEOUT = 120.0

# Run in the sender's environment: three stories, the readers, and the digest frozen with them.
SETUP = """
import datetime as dt
import sys

import django

django.setup()

from django.conf import settings
from django.utils import timezone

from newsdesk.news.services import ArticleInput, article_save
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
from newsdesk.newsletter.models import Digest, Subscriber

readers = int(sys.argv[1])
# The edition goes out in five minutes, so the stories of the last hours are in it.
soon = timezone.localtime() + dt.timedelta(minutes=5)
settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
for number, title in enumerate(
    ["Harbour wall repairs begin", "Ferry timetable changes", "Library reopens"]
):
    article_save(
        data=ArticleInput(
            title=title,
            body_html="<p>Something happened in town.</p>",
            dek="What it means for readers.",
            topics=("Council",),
            published_at=timezone.now() - dt.timedelta(hours=1 + number),
            source="crash-test",
            external_id=str(number),
        ),
        publish=True,
    )
now = timezone.now()
Subscriber.objects.bulk_create(
    [
        Subscriber(
            email=f"reader{number:04d}@example.org",
            email_key=f"reader{number:04d}@example.org",
            status=Subscriber.Status.CONFIRMED,
            confirmed_at=now,
        )
        for number in range(readers)
    ],
    batch_size=500,
)
digest = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=soon.date()))
assert digest.status == Digest.Status.SENDING, digest.status
print(digest.pk, digest.date.isoformat())
"""


# --- The SMTP server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Copy:
    run: int  # which sender process sent it: 0 for the first, 1 after the first kill, ...
    message_id: str


@dataclass
class CountingMailbox:
    """aiosmtpd handler: files every message under its recipient with the sender run it came from.

    The run is taken when the connection says EHLO, which only a live sender can do, so a message
    is never put down to a later run than the process that sent it. A message is stored before
    the pause that precedes the 250, as a real server stores it before answering.
    """

    delay: float
    run: int = 0
    copies: dict[str, list[Copy]] = field(default_factory=lambda: defaultdict(list))
    per_run: Counter[int] = field(default_factory=Counter)
    condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.condition:
            session.sender_run = self.run
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        headers = BytesHeaderParser().parsebytes(envelope.original_content)
        run = session.sender_run
        with self.condition:
            for recipient in envelope.rcpt_tos:
                self.copies[recipient].append(Copy(run, str(headers["Message-ID"])))
            self.per_run[run] += 1
            self.condition.notify_all()
        await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def next_run(self) -> None:
        with self.condition:
            self.run += 1

    def wait_for_run(self, run: int, count: int, process: subprocess.Popen[bytes]) -> bool:
        """Until run ``run`` has sent ``count`` messages (True) or its process ended (False)."""
        deadline = time.monotonic() + RUN_TIMEOUT
        with self.condition:
            while self.per_run[run] < count:
                if process.poll() is not None:
                    return False
                if time.monotonic() > deadline:
                    raise AssertionError(f"run {run} sent {self.per_run[run]} of {count} in time")
                self.condition.wait(0.05)
        return True


@pytest.fixture
def smtp() -> Iterator[tuple[CountingMailbox, int]]:
    mailbox = CountingMailbox(delay=SERVER_DELAY)
    with smtp_server_running(mailbox) as port:
        yield mailbox, port


# --- The sender's database ----------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path) -> Iterator[ProcessDatabase]:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with process_database(data_dir, prefix="newsdesk_crash") as database:
        yield database


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Every sender started; whatever happens, none is left running."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=10)


# --- The test -----------------------------------------------------------------------------------


def test_killed_sender_restarted_reaches_everyone_with_duplicates_only_in_flight(
    database: ProcessDatabase,
    smtp: tuple[CountingMailbox, int],
    processes: list[subprocess.Popen[bytes]],
    tmp_path: Path,
) -> None:
    mailbox, port = smtp
    setup = subprocess.run(
        [sys.executable, "-c", SETUP, str(READERS)],
        env=database.env(site_url=SITE_URL, DJANGO_SETTINGS_MODULE="newsdesk.settings"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    digest_id, date = setup.stdout.split()[-2:]

    sender_env = database.env(site_url=SITE_URL, EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=10")
    argv = [str(NEWSDESK), "digest", "send", "--date", date, "--connections", str(CONNECTIONS)]
    logs: list[Path] = []

    def start(run: int) -> subprocess.Popen[bytes]:
        log = tmp_path / f"send-{run}.log"
        logs.append(log)
        with log.open("wb") as log_file:
            process = subprocess.Popen(
                argv,
                env=sender_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        processes.append(process)
        return process

    # Kill each run after a random number of its own messages: all the kills together stay well
    # short of the list, so every run is killed mid-send and the last one has work left.
    rng = random.Random(SEED)
    kill_after = [rng.randint(20, READERS // (KILLS + 1)) for _ in range(KILLS)]
    for run, count in enumerate(kill_after):
        process = start(run)
        reached = mailbox.wait_for_run(run, count, process)
        assert reached, f"run {run} ended before its kill point:\n{logs[-1].read_text()}"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert process.returncode == -signal.SIGKILL
        mailbox.next_run()

    last = start(KILLS)
    last.wait(timeout=RUN_TIMEOUT)
    output = logs[-1].read_text()
    assert last.returncode == 0, output
    assert "status sent" in output, output

    # Every reader got the digest, and only the pair's own Message-ID.
    ids = dict(database.query("SELECT email, id FROM newsletter_subscriber"))
    assert len(ids) == READERS
    missing = sorted(set(ids) - set(mailbox.copies))
    assert not missing, f"{len(missing)} readers never got the digest: {missing[:10]}"
    assert set(mailbox.copies) == set(ids), "mail to someone who is not a reader"
    for email, copies in mailbox.copies.items():
        expected = f"<digest-{digest_id}.{ids[email]}@127.0.0.1>"
        assert {copy.message_id for copy in copies} == {expected}, email

    # Duplicates: only messages in flight at a kill, so at most one per connection per kill, and
    # never two copies from one run.
    duplicates_by_kill: Counter[int] = Counter()
    for email, copies in mailbox.copies.items():
        runs = [copy.run for copy in copies]
        assert len(set(runs)) == len(runs), f"{email} got two copies from one run: {runs}"
        # Every copy but the last went out from a run that was killed before it was marked sent.
        for run in sorted(runs)[:-1]:
            duplicates_by_kill[run] += 1
    assert all(run < KILLS for run in duplicates_by_kill), duplicates_by_kill
    assert all(count <= CONNECTIONS for count in duplicates_by_kill.values()), (
        f"more duplicates than messages in flight: {dict(duplicates_by_kill)}"
    )
    total_copies = sum(len(copies) for copies in mailbox.copies.values())
    assert total_copies - READERS == sum(duplicates_by_kill.values()) <= KILLS * CONNECTIONS

    # The database agrees: every delivery sent once, the digest finished (the only one there is).
    rows = database.query(
        "SELECT digest_id, status, COUNT(*) FROM newsletter_delivery GROUP BY digest_id, status"
    )
    assert rows == [(int(digest_id), "sent", READERS)]
    assert database.query("SELECT id, status FROM newsletter_digest") == [(int(digest_id), "sent")]
