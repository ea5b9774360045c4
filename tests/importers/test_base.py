"""What every importer shares, through `newsdesk import`: bounded reads, text and date checks."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.importers import base
from newsdesk.news.models import ArticlePage
from tests.importers.commands import assert_refused, run_import

pytestmark = pytest.mark.django_db


def _jsonl(tmp_path: Path, *records: dict[str, object], name: str = "batch.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# --- Reading: the limit holds for pipes and devices ------------------------------------------


@pytest.fixture
def endless_fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO that a thread fills with text well past the limit, until its reader goes away."""
    path = tmp_path / "feed"
    os.mkfifo(path)
    chunk = b"x" * (1 << 20)

    def write() -> None:
        # Bounded, so that a reader without a limit ends too (with too much, not forever).
        try:
            with path.open("wb", buffering=0) as pipe:
                for _ in range(base.MAX_FILE_BYTES // len(chunk) + 16):
                    pipe.write(chunk)
        except BrokenPipeError:
            pass  # the reader stopped at the limit and closed its end: what the test wants

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    yield path
    if writer.is_alive():  # unblock a writer still waiting for its reader, or blocked writing
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        while writer.is_alive():
            try:
                os.read(fd, 1 << 20)
            except BlockingIOError:
                time.sleep(0.01)
        os.close(fd)
    writer.join(timeout=5)


def test_a_fifo_is_read_no_further_than_the_limit(endless_fifo: Path) -> None:
    started = time.perf_counter()
    run = run_import(endless_fifo)
    assert time.perf_counter() - started < 3
    assert_refused(run, endless_fifo, None, "input is longer than the limit of 67,108,864 bytes")


def test_dev_zero_is_read_no_further_than_the_limit() -> None:
    # stat() says 0 bytes; before the fix the importer read until memory ran out.
    started = time.perf_counter()
    run = run_import("/dev/zero")
    assert time.perf_counter() - started < 3
    assert_refused(run, "/dev/zero", None, "input is longer than the limit of 67,108,864 bytes")


def test_an_empty_device_is_an_empty_file() -> None:
    assert_refused(run_import("/dev/null"), "/dev/null", None, "the file is empty")


def test_a_pipe_within_the_limit_is_imported(tmp_path: Path, home: object) -> None:
    path = tmp_path / "stdin"
    os.mkfifo(path)
    line = json.dumps({"id": "p1", "title": "From a pipe", "body": "Text."}).encode()

    def write() -> None:
        with path.open("wb") as pipe:
            pipe.write(line + b"\n")

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    run = run_import(path, "--publish")
    writer.join(timeout=5)
    assert run.status == 0, run
    assert ArticlePage.objects.get().title == "From a pipe"


def test_a_socket_is_refused_with_its_reason(tmp_path: Path) -> None:
    import socket

    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        assert_refused(run_import(path), path, None, "cannot read the file: No such device")


def test_a_file_name_cannot_drive_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "evil\x1b[2J\x07.md"
    path.write_text("---\ntitle: [broken\n---\nx\n")
    run = run_import(path)
    assert run.status == 1
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert "evil\\x1b[2J\\x07.md:3: front matter is not valid YAML" in run.stderr


def test_undecodable_bytes_after_lone_carriage_returns_name_the_right_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "mac.txt"
    path.write_bytes(b"Title\r\rHeadline\r\r\xe9t\xe9\r")  # old Mac line ends: CR only
    assert_refused(run_import(path), path, 5, "not valid UTF-8 text (save the file as UTF-8)")


# --- Text fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "fragments"),
    [
        ({"title": "Pier\ud800", "body": "b"}, ("'title' contains \\ud800, half of a UTF-16",)),
        ({"title": "T", "body": "Text \udfff."}, ("'body' contains \\udfff",)),
        ({"title": "T", "body": "b", "tags": ["\ud83d"]}, ("'tags' contains \\ud83d",)),
        ({"title": "T", "body": "b", "id": "\udc00"}, ("'id' contains \\udc00",)),
        ({"title": "T\x9b2J", "body": "b"}, ("'title' contains control characters (\\x9b",)),
        ({"title": "T", "body": "b", "authors": ["A\x1b"]}, ("'authors' contains control",)),
    ],
)
def test_text_that_is_not_characters_is_refused(
    tmp_path: Path, record: dict[str, object], fragments: tuple[str, ...]
) -> None:
    # json.dumps writes a lone surrogate as its \u escape, which json.loads turns back into
    # one; SQLite's driver and nh3 then raised UnicodeEncodeError, PostgreSQL refuses it.
    path = _jsonl(tmp_path, {"title": "Fine", "body": "Fine."}, record)
    assert_refused(run_import(path, "--publish"), path, 2, *fragments)


def test_a_valid_surrogate_pair_is_one_character(tmp_path: Path, home: object) -> None:
    path = _jsonl(tmp_path, {"id": "e", "title": "Smile \ud83d\ude00", "body": "b"})
    assert run_import(path, "--publish").status == 0
    assert ArticlePage.objects.get().title == "Smile \U0001f600"


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("0001-01-01T00:00:00+05:00", 1),  # OverflowError when converted to UTC
        ("9999-12-31T23:00:00-05:00", 9999),
        ("1599-12-31T23:59:59", 1599),
        ("2201-01-01", 2201),
        ("0224-05-01", 224),
    ],
)
def test_dates_outside_the_sane_years_are_refused(tmp_path: Path, value: str, year: int) -> None:
    path = _jsonl(
        tmp_path, {"title": "Fine", "body": "x"}, {"title": "T", "body": "x", "published": value}
    )
    assert_refused(
        run_import(path, "--publish"),
        path,
        2,
        f"'published' is in the year {year}; dates must fall in the years 1600 to 2200",
    )


@pytest.mark.parametrize(
    "markdown_date", ["0001-01-01 00:00:00+05:00", "9999-12-31T23:00:00-05:00"]
)
def test_yaml_dates_at_the_ends_of_the_calendar_are_refused(
    tmp_path: Path, markdown_date: str
) -> None:
    path = tmp_path / "story.md"
    path.write_text(f"---\ntitle: T\ndek: d\ndate: {markdown_date}\n---\nBody.\n")
    assert_refused(run_import(path, "--publish"), path, 4, "'date' is in the year")


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("1600-01-01T00:00:00+14:00", datetime(1599, 12, 31, 10, 0, tzinfo=UTC)),
        ("2200-12-31T23:59:00-12:00", datetime(2201, 1, 1, 11, 59, tzinfo=UTC)),
        # Python allows offsets to ±23:59, PostgreSQL to ±15:59: stored in UTC, both take it.
        ("2024-05-01T10:00:00+23:59", datetime(2024, 4, 30, 10, 1, tzinfo=UTC)),
    ],
)
def test_dates_at_the_edges_of_the_range_are_imported(
    tmp_path: Path, home: object, value: str, stored: datetime
) -> None:
    path = _jsonl(tmp_path, {"id": "edge", "title": "T", "body": "x", "published": value})
    assert run_import(path).status == 0
    assert ArticlePage.objects.get().first_published_at == stored
