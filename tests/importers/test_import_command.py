"""`newsdesk import PATH... [--publish | --draft]` through Django's call_command."""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from newsdesk.news.models import ArticlePage, HomePage
from tests.process_database import NEWSDESK, ProcessDatabase, process_database


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("import", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    path = tmp_path / "batch.jsonl"
    records = [{"id": f"c{n}", "title": f"Command story {n}", "body": "Text."} for n in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_publish_then_rerun_reports_counts(batch: Path, home: HomePage) -> None:
    assert "1 file(s): 3 created, 0 updated, 0 skipped" in _run(str(batch), "--publish")
    assert ArticlePage.objects.published().count() == 3
    assert "1 file(s): 0 created, 0 updated, 3 skipped" in _run(str(batch), "--publish")


def test_drafts_by_default_and_with_draft(batch: Path, home: HomePage) -> None:
    _run(str(batch))
    _run(str(batch), "--draft")
    assert ArticlePage.objects.count() == 3
    assert not ArticlePage.objects.published().exists()


def test_verbose_run_lists_each_article(batch: Path, home: HomePage) -> None:
    out = _run(str(batch), "--publish", "--verbosity", "2")
    assert "created  Command story 0" in out


def test_progress_goes_to_stderr_and_is_silent_when_quiet(batch: Path, home: HomePage) -> None:
    err = io.StringIO()
    call_command("import", str(batch), stdout=io.StringIO(), stderr=err)
    # Not a terminal: a plain line at the start and the final state, no redrawing.
    assert "] 100% 3/3 articles, " in err.getvalue().splitlines()[-1]
    assert "\r" not in err.getvalue()
    quiet = io.StringIO()
    call_command("import", str(batch), "--verbosity", "0", stdout=io.StringIO(), stderr=quiet)
    assert quiet.getvalue() == ""


def test_publish_and_draft_together_are_refused(batch: Path, home: HomePage) -> None:
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("import", str(batch), "--publish", "--draft")


def test_a_malformed_file_is_a_command_error_naming_file_and_line(
    tmp_path: Path, batch: Path, home: HomePage
) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "ok", "body": "ok"}\n{"title": "ok2", "body": "ok"}\n{broken\n')
    with pytest.raises(CommandError) as failure:
        call_command("import", str(batch), str(bad), "--publish")
    assert str(failure.value).startswith(f"{bad}:3: not valid JSON")
    assert str(failure.value).endswith("(nothing was imported)")
    assert not ArticlePage.objects.exists()


def test_a_path_is_required(db: None) -> None:
    with pytest.raises(CommandError, match="the following arguments are required: PATH"):
        call_command("import")


# --- The installed command, as an operator runs it ------------------------------------------


@dataclass(frozen=True)
class ProcessRun:
    status: int
    stderr: str
    peak_rss_mb: float


@pytest.fixture(scope="module")
def process_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessDatabase]:
    """One migrated database (SQLite, or PostgreSQL in CI's run) for the module's processes."""
    with process_database(tmp_path_factory.mktemp("import-cli"), prefix="newsdesk_import") as db:
        yield db


def _limit_memory() -> None:
    # An importer that reads without bounds meets this (a MemoryError) instead of eating the
    # machine's memory: that is how these tests fail on unbounded code.
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _newsdesk_import(database: ProcessDatabase, path: Path | str, tmp_path: Path) -> ProcessRun:
    with (tmp_path / "stderr").open("w+b") as stderr:
        process = subprocess.Popen(
            [str(NEWSDESK), "import", str(path), "--publish"],
            env=database.env(site_url="http://127.0.0.1"),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=_limit_memory,
        )
        killer = threading.Timer(120, process.kill)
        killer.start()
        try:
            # wait4 reports this child's own peak memory (RUSAGE_CHILDREN mixes in others).
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        return ProcessRun(process.returncode, stderr.read().decode(), usage.ru_maxrss / 1024)


def _articles(database: ProcessDatabase) -> int:
    return database.query("SELECT COUNT(*) FROM news_articlepage")[0][0]


def _laughs(tmp_path: Path) -> Path:
    """A few hundred bytes of front matter that stand for 9 ** 9 strings."""
    rows = ['id: [&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"  , &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = tmp_path / "laughs.md"
    path.write_text("---\ntitle: Laughs\n" + "\n".join(rows) + "\n  ]\n---\nBody.\n")
    return path


def _jsonl_line(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "ok", "title": "Fine", "body": "Fine."}\n' + line + "\n")
    return path


@pytest.mark.parametrize(
    ("make", "line", "message"),
    [
        (lambda tmp: Path("/dev/zero"), None, "input is longer than the limit of 67,108,864"),
        (_laughs, 3, "front matter may not use YAML anchors or aliases (&, *)"),
        # These two crashed while writing: SQLite's driver and PostgreSQL refuse a surrogate,
        # and year 1 with an offset overflows when the database adapter converts it to UTC.
        (
            lambda tmp: _jsonl_line(tmp, '{"title": "T\\ud800", "body": "b"}'),
            2,
            "'title' contains \\ud800",
        ),
        (
            lambda tmp: _jsonl_line(
                tmp, '{"title": "T", "body": "b", "published": "0001-01-01T00:00:00+05:00"}'
            ),
            2,
            "'published' is in the year 1",
        ),
    ],
    ids=["dev-zero", "alias-bomb", "surrogate", "year-1"],
)
def test_the_command_refuses_without_a_traceback_in_bounded_memory(
    process_db: ProcessDatabase,
    tmp_path: Path,
    make: Callable[[Path], Path],
    line: int | None,
    message: str,
) -> None:
    path = make(tmp_path)
    run = _newsdesk_import(process_db, path, tmp_path)
    where = f"{path}:{line}" if line else str(path)
    assert run.status == 1, run.stderr
    assert run.stderr.startswith(f"CommandError: {where}: {message}"), run.stderr
    assert run.stderr.endswith(" (nothing was imported)\n")
    assert "Traceback" not in run.stderr
    # The interpreter with Django and newsdesk loaded is about 125 MB; /dev/zero adds the
    # 64 MB read buffer. Unbounded, the bomb took 2.6 GB and /dev/zero all there is.
    assert run.peak_rss_mb < 400, run.peak_rss_mb
    assert _articles(process_db) == 0
