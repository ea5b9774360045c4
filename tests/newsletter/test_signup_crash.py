"""A process killed between saving a signup and sending its email loses nothing.

The review killed the server with SIGKILL right after a signup was stored and before its
confirmation email went out: the day's claim was already taken, so three later tries sent
nothing and the address was locked out for 24 hours. Now the email is owed in the database and
the limit counts only emails the mail server took.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.newsletter.conftest import Mailbox, smtp_server_running, wait_for
from tests.process_database import ProcessDatabase, process_database

SIGNUP = """
import django

django.setup()
from newsdesk.newsletter.subscriptions.services import subscriber_signup

subscriber_signup(email="ann@example.org", ip="203.0.113.5", consent_text="Send me the news.")
"""
EMAIL_TIMEOUT = 30  # seconds; a claimed email is leased for 10 of these


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessDatabase]:
    with process_database(tmp_path_factory.mktemp("signup-crash"), prefix="signup_crash") as db:
        yield db


class StallingServer:
    """Accepts SMTP connections and never says a word: a signup's send hangs on it."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = int(self.listener.getsockname()[1])
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)
            self.accepted.set()

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()


def _signup(database: ProcessDatabase, port: int) -> subprocess.Popen[str]:
    env = database.env(
        site_url="http://127.0.0.1:8000",
        EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout={EMAIL_TIMEOUT}",
        NEWSDESK_TASKS="immediate",
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
    )
    return subprocess.Popen(
        [sys.executable, "-c", SIGNUP],
        env=env,
        cwd=Path(__file__).parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _owed(database: ProcessDatabase) -> tuple[str, object]:
    [row] = database.query(
        "SELECT email_owed, confirmation_sent_at FROM newsletter_subscriber WHERE email_key = %s",
        ("ann@example.org",),
    )
    return row[0], row[1]


def test_a_signup_killed_before_its_email_gets_it_sent_by_a_later_try(
    database: ProcessDatabase,
) -> None:
    stalling = StallingServer()
    try:
        process = _signup(database, stalling.port)
        assert stalling.accepted.wait(60), "the signup never reached the mail server"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        stalling.close()
    assert _owed(database) == ("confirm", None)  # stored, owed, not counted as sent

    mailbox = Mailbox()
    with smtp_server_running(mailbox) as port:
        # Right away, the dead process's lease still holds the email: nothing twice.
        assert _signup(database, port).wait(60) == 0
        assert mailbox.received == []
        # Five minutes on (the lease's end, moved here rather than waited for), the next tries
        # send it once between them.
        past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
        # SQLite holds Django's datetimes as UTC text; PostgreSQL takes the value itself.
        database.execute(
            "UPDATE newsletter_subscriber SET email_owed_at = %s",
            (past.strftime("%Y-%m-%d %H:%M:%S") if database.url is None else past,),
        )
        for _ in range(2):
            assert _signup(database, port).wait(60) == 0
        [confirmation] = wait_for(mailbox, 1)
        time.sleep(0.2)
        assert len(mailbox.received) == 1

    assert confirmation.rcpt_tos == ["ann@example.org"]
    assert "/newsletter/confirm/" in confirmation.text()
    owed, sent_at = _owed(database)
    assert owed == "" and sent_at is not None
