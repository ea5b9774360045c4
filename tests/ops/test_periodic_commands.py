"""`publish_scheduled` and `digest send`, once or `--loop`: the healthchecks way of running jobs."""

from __future__ import annotations

import io
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from newsdesk.news.models import ArticlePage
from tests.process_database import NEWSDESK, ProcessDatabase, process_database


@pytest.fixture
def database(tmp_path: Path) -> Iterator[ProcessDatabase]:
    with process_database(tmp_path / "data", prefix="newsdesk_loops") as database:
        yield database


def _start(database: ProcessDatabase, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(NEWSDESK), *args],
        env=database.env(site_url="http://127.0.0.1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    return out


def test_publish_scheduled_loop_publishes_a_due_article_and_stops_on_sigterm(
    tmp_path: Path, database: ProcessDatabase
) -> None:
    soon = timezone.now() + timedelta(seconds=4)
    story = tmp_path / "story.md"
    story.write_text(
        f"---\ntitle: Ferry timetable changes\ndate: {soon.isoformat()}\n---\n\nText.\n"
    )
    env = database.env(site_url="http://127.0.0.1")
    imported = subprocess.run(
        [str(NEWSDESK), "import", str(story), "--publish"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    live = "SELECT live FROM wagtailcore_page WHERE title = %s"
    assert database.query(live, ("Ferry timetable changes",)) == [(False,)]

    process = _start(database, "publish_scheduled", "--loop", "--interval", "1")
    try:
        deadline = time.monotonic() + 60
        while database.query(live, ("Ferry timetable changes",)) != [(True,)]:
            assert time.monotonic() < deadline, "the loop never published the article"
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.5)
    finally:
        out = _stop(process)
    assert process.returncode == 0, out
    assert "publish_scheduled: every 1 s until stopped" in out
    assert "Published 1 scheduled page(s)." in out
    assert "publish_scheduled: stopped after" in out
    assert "Traceback" not in out


def test_digest_send_loop_runs_rounds_until_sigterm(database: ProcessDatabase) -> None:
    process = _start(database, "digest", "send", "--loop", "--interval", "1")
    time.sleep(3)
    assert process.poll() is None
    out = _stop(process)
    assert process.returncode == 0, out
    assert "digest send: every 1 s until stopped" in out
    rounds = int(out.split("stopped after ")[1].split(" ")[0])
    assert rounds >= 2
    assert "Traceback" not in out


@pytest.mark.django_db
def test_digest_send_loop_refuses_a_date() -> None:
    with pytest.raises(CommandError, match="cannot take --date"):
        call_command("digest", "send", "--loop", "--date", "2026-01-02")


@pytest.mark.django_db
def test_digest_send_once_exits_non_zero_when_the_round_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """So that cron mails the failure and a healthcheck sees a failed run; the loop, instead,
    logs it and tries again (tests/core/test_periodic.py)."""
    from newsdesk.newsletter.delivery import due

    def database_away() -> None:
        raise RuntimeError("could not connect to the database")

    monkeypatch.setattr(due, "digests_freeze_due", database_away)
    with pytest.raises(CommandError, match="part of the round failed"):
        call_command("digest", "send", stdout=io.StringIO())


@pytest.mark.django_db
def test_publish_scheduled_once_publishes_what_is_due(home: Any, make_article: Any) -> None:
    article = make_article("Regatta moved to Sunday", age=-timedelta(minutes=10))
    out = io.StringIO()
    call_command("publish_scheduled", stdout=out)
    assert out.getvalue().strip() == "Published 0 scheduled page(s)."
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        call_command("publish_scheduled", stdout=out)
    assert "Published 1 scheduled page(s)." in out.getvalue()
    assert ArticlePage.objects.get(pk=article.pk).live
