"""Importing files: reading, format detection, folders, idempotency and all-or-nothing batches."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from wagtail.models import Page

from newsdesk.importers import base
from newsdesk.importers.base import ImportFailure, read_text
from newsdesk.importers.runner import detect_format, expand_paths, import_paths
from newsdesk.news.models import ArticlePage, HomePage
from tests.importers.commands import assert_refused, run_import


def _jsonl(tmp_path: Path, *records: dict[str, object], name: str = "batch.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _records(count: int) -> list[dict[str, object]]:
    return [{"id": f"r{n}", "title": f"Story {n}", "body": f"Text {n}."} for n in range(count)]


# --- Reading files ---------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: no need to write 64 MB
        handle.truncate(base.MAX_FILE_BYTES + 1)
    with pytest.raises(ImportFailure, match=r"the limit is 67,108,864 \(split it\)") as failure:
        read_text(path)
    assert failure.value.path == str(path)


def test_a_file_at_the_size_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_FILE_BYTES", 10)
    path = tmp_path / "small.txt"
    path.write_bytes(b"0123456789")
    assert read_text(path) == "0123456789"
    path.write_bytes(b"0123456789X")
    with pytest.raises(ImportFailure, match="file is 11 bytes; the limit is 10"):
        read_text(path)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_broken_utf8_names_the_file_and_line(tmp_path: Path, bom: bytes) -> None:
    path = tmp_path / "latin1.txt"
    # The bad byte starts its line: an offset counted without the BOM would name line 4.
    path.write_bytes(bom + b"Title\n\nHeadline\n\n\xe9t\xe9 society.\n")
    with pytest.raises(ImportFailure) as failure:
        read_text(path)
    assert failure.value.line == 5
    assert str(failure.value) == f"{path}:5: not valid UTF-8 text (save the file as UTF-8)"


def test_nul_bytes_are_refused_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "binary.txt"
    path.write_bytes(b"Title\nHeadline\nbody\x00more\n")
    with pytest.raises(ImportFailure, match="contains NUL bytes") as failure:
        read_text(path)
    assert failure.value.line == 3


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.md"
    path.write_bytes(content)
    with pytest.raises(ImportFailure, match="the file is empty"):
        read_text(path)


def test_a_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure, match="no such file or folder"):
        expand_paths([tmp_path / "nope.txt"])


# --- Formats and folders ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.jsonl", "Title", "jsonl"),
        ("a.NDJSON", "Title", "jsonl"),
        ("a.md", "Title", "markdown"),
        ("a.markdown", "{", "markdown"),
        ("a.txt", "---", "text"),
        ("noext", '  {"title": 1}', "jsonl"),
        ("noext", "---\ntitle: x\n---", "markdown"),
        ("noext", "# Heading", "markdown"),
        ("noext", "Just a title?", "text"),
    ],
)
def test_format_is_detected_by_extension_then_content(name: str, text: str, expected: str) -> None:
    assert detect_format(Path(name), text) == expected


def test_folders_are_searched_for_known_extensions_without_following_links(
    tmp_path: Path,
) -> None:
    (tmp_path / "in" / "deeper").mkdir(parents=True)
    wanted = [tmp_path / "in" / "a.md", tmp_path / "in" / "deeper" / "b.jsonl"]
    for path in wanted:
        path.write_text("x")
    (tmp_path / "in" / "notes.pdf").write_text("x")
    outside = tmp_path / "outside.md"
    outside.write_text("x")
    os.symlink(outside, tmp_path / "in" / "link.md")
    os.symlink(tmp_path, tmp_path / "in" / "loop")
    assert expand_paths([tmp_path / "in"]) == wanted


# --- Importing -------------------------------------------------------------------------------


def test_import_into_a_freshly_migrated_site_creates_the_home_page(
    tmp_path: Path, db: None
) -> None:
    assert not HomePage.objects.exists()
    report = import_paths([_jsonl(tmp_path, *_records(2))], publish=True)
    assert report.counts["created"] == 2
    home = HomePage.objects.get()
    assert {article.get_parent().pk for article in ArticlePage.objects.all()} == {home.pk}
    assert Page.objects.get(pk=home.pk).get_site().root_page_id == home.pk


def test_second_run_skips_everything(tmp_path: Path, home: HomePage) -> None:
    path = _jsonl(tmp_path, *_records(3))
    first = import_paths([path], publish=True)
    assert (first.counts["created"], first.files) == (3, 1)
    second = import_paths([path], publish=True)
    assert dict(second.counts) == {"skipped": 3}
    assert second.summary() == "1 file(s): 0 created, 0 updated, 3 skipped"
    assert ArticlePage.objects.count() == 3


def test_changed_file_updates_only_what_changed(tmp_path: Path, home: HomePage) -> None:
    records = _records(3)
    path = _jsonl(tmp_path, *records)
    import_paths([path], publish=True)
    records[1] = {**records[1], "title": "Story 1, corrected"}
    _jsonl(tmp_path, *records)
    report = import_paths([path], publish=True)
    assert (report.counts["updated"], report.counts["skipped"]) == (1, 2)
    assert ArticlePage.objects.get(import_external_id="r1").title == "Story 1, corrected"


def test_plain_text_reimport_is_idempotent(tmp_path: Path, home: HomePage) -> None:
    path = tmp_path / "story.txt"
    path.write_text("Title?\n\nHeadline\n\nBody text.\n")
    import_paths([path], publish=True)
    assert dict(import_paths([path], publish=True).counts) == {"skipped": 1}
    path.write_text("Title?\n\nHeadline\n\nBody text, with a correction.\n")
    assert dict(import_paths([path], publish=True).counts) == {"updated": 1}
    assert ArticlePage.objects.count() == 1


def test_a_malformed_second_file_imports_nothing(tmp_path: Path, home: HomePage) -> None:
    good = _jsonl(tmp_path, *_records(2), name="1-good.jsonl")
    bad = tmp_path / "2-bad.md"
    bad.write_text("---\ntitle: [broken\n---\nbody\n")
    third = _jsonl(tmp_path, {"id": "x", "title": "Third", "body": "x"}, name="3-good.jsonl")
    with pytest.raises(ImportFailure) as failure:
        import_paths([good, bad, third], publish=True)
    assert failure.value.path == str(bad)
    assert not ArticlePage.objects.exists()


def test_a_failure_while_writing_rolls_back_the_whole_batch(
    tmp_path: Path, home: HomePage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.importers import runner

    real_save = runner.article_save
    calls = 0

    def fail_on_third(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return real_save(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "article_save", fail_on_third)
    with pytest.raises(RuntimeError):
        import_paths([_jsonl(tmp_path, *_records(4))], publish=True)
    assert not ArticlePage.objects.exists()


def test_draft_import_keeps_articles_unpublished(tmp_path: Path, home: HomePage) -> None:
    import_paths([_jsonl(tmp_path, *_records(2))], publish=False)
    assert ArticlePage.objects.count() == 2
    assert not ArticlePage.objects.filter(live=True).exists()
    assert not ArticlePage.objects.published().exists()


def test_a_future_date_schedules_the_article(tmp_path: Path, home: HomePage) -> None:
    when = timezone.now() + timedelta(days=3)
    record = {"id": "later", "title": "Embargoed", "body": "x", "published": when.isoformat()}
    import_paths([_jsonl(tmp_path, record)], publish=True)
    article = ArticlePage.objects.get()
    assert not article.live and article.go_live_at == when
    assert not ArticlePage.objects.published().exists()


def test_on_article_reports_each_result(tmp_path: Path, home: HomePage) -> None:
    seen: list[tuple[str, str]] = []
    path = _jsonl(tmp_path, *_records(2))
    import_paths([path], publish=True, on_article=lambda r, t: seen.append((r, t)))
    import_paths([path], publish=True, on_article=lambda r, t: seen.append((r, t)))
    assert seen == [
        ("created", "Story 0"),
        ("created", "Story 1"),
        ("skipped", "Story 0"),
        ("skipped", "Story 1"),
    ]


def test_mixed_formats_in_one_folder(tmp_path: Path, home: HomePage) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "a.md").write_text("# From Markdown\n\nText.\n")
    (folder / "b.txt").write_text("Title?\n\nFrom text\n\nText.\n")
    _jsonl(folder, {"id": "j", "title": "From JSON", "body": "x"}, name="c.jsonl")
    report = import_paths([folder], publish=True)
    assert report.files == 3
    assert sorted(ArticlePage.objects.values_list("title", flat=True)) == [
        "From JSON",
        "From Markdown",
        "From text",
    ]


# --- Hostile folders and batches, through the command ---------------------------------------


def test_a_folder_nested_1500_deep_is_searched_without_recursion(
    tmp_path: Path, home: HomePage
) -> None:
    # Path.rglob (and os.walk) recurse once per level: RecursionError, a traceback, at ~1,000.
    levels = [tmp_path / "archive"]
    for _ in range(1500):
        levels.append(levels[-1] / "a")
    for level in levels:
        level.mkdir()
    try:
        (levels[-1] / "story.md").write_text("# Found at the bottom\n\nText.\n")
        (levels[0] / "top.md").write_text("# Found at the top\n\nText.\n")
        run = run_import(levels[0], "--publish")
        assert run.status == 0, run
        assert "2 file(s): 2 created" in run.stdout
        assert ArticlePage.objects.count() == 2
    finally:
        # Bottom up: pytest's own clean-up of old temporary folders recurses per level too.
        (levels[-1] / "story.md").unlink(missing_ok=True)
        (levels[0] / "top.md").unlink(missing_ok=True)
        for level in reversed(levels):
            level.rmdir()


def test_an_unreadable_folder_is_named(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.importers import runner

    folder = tmp_path / "in" / "locked"
    folder.mkdir(parents=True)
    real_scandir = os.scandir

    def refuse_locked(path: Path) -> object:
        # Root reads any folder, so the permission error is made where the walk lists it.
        if Path(path) == folder:
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(runner.os, "scandir", refuse_locked)
    assert_refused(
        run_import(tmp_path / "in"), folder, None, "cannot read the folder: Permission denied"
    )


def test_a_run_stops_at_the_article_limit(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.importers import runner

    monkeypatch.setattr(runner, "MAX_ARTICLES", 3)
    first = _jsonl(tmp_path, *_records(2), name="1.jsonl")
    second = _jsonl(tmp_path, *_records(4)[2:], name="2.jsonl")
    assert_refused(
        run_import(first, second), second, None, "more than 3 articles in one run; import in"
    )


def test_a_folder_with_too_many_files_stops_counting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.importers import runner

    monkeypatch.setattr(runner, "MAX_FILES", 5)
    for n in range(8):
        (tmp_path / f"{n}.md").write_text("x")
    with pytest.raises(ImportFailure, match="more than 5 files; import in batches"):
        expand_paths([tmp_path])


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        # A WordPress export is imported (tests/importers/test_wxr.py); other XML is not.
        (
            "sitemap.xml",
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n',
            "an XML file that is not a WordPress export (WXR)",
        ),
        # A Ghost export is imported (tests/importers/test_ghost.py); other JSON is not.
        (
            "package.json",
            '{"name": "site", "version": "1.0.0"}\n',
            "a JSON file that is not a Ghost",
        ),
        ("export", "<rss version='2.0'><channel/></rss>\n", "markup (XML or HTML)"),
        # A Substack export is imported (tests/importers/test_substack.py); other ZIPs are not.
        ("photos.zip", b"PK\x03\x04\x14\x00\x00\x00\xff\xfe", "not a Substack export"),
    ],
)
def test_exports_of_other_systems_are_refused_by_name(
    tmp_path: Path, db: None, name: str, content: str | bytes, said: str
) -> None:
    """A WordPress export used to import as one junk article headed `<rss version="2.0" …>`."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)  # not text at all: refused by its name before it is read
    else:
        path.write_text(content)
    run = run_import(path, "--publish")
    assert_refused(run, path, None, said, "cannot be imported yet", "JSON Lines (.jsonl)")
