"""`newsdesk import --dry-run` reports a real run's counts and writes nothing; `--format` forces
the reader for files whose name or start would be read as something else."""

from __future__ import annotations

import shutil
from pathlib import Path

from wagtail.contrib.redirects.models import Redirect

from newsdesk.news.models import ArticlePage, Author, Topic
from tests.importers.commands import run_import

WXR_SAMPLE = Path(__file__).parent / "samples" / "wordpress.xml"


def test_a_dry_run_counts_what_a_real_run_does_and_writes_nothing(db: None) -> None:
    dry = run_import(WXR_SAMPLE, "--dry-run")
    assert dry.status == 0, dry
    assert dry.stdout.startswith("Dry run: nothing was written.")
    assert not ArticlePage.objects.exists()
    assert not Topic.objects.exists() and not Author.objects.exists()
    assert not Redirect.objects.exists()

    real = run_import(WXR_SAMPLE)
    assert real.status == 0, real
    assert ArticlePage.objects.exists()
    # Everything after the dry run's first line is what the real run printed.
    assert dry.stdout.split("\n", 1)[1] == real.stdout


def test_a_dry_run_after_an_import_reports_the_skips(db: None) -> None:
    run_import(WXR_SAMPLE)
    articles = ArticlePage.objects.count()
    again = run_import(WXR_SAMPLE, "--dry-run")
    assert f"0 created, 0 updated, {articles} skipped" in again.stdout
    assert ArticlePage.objects.count() == articles


def test_a_dry_run_still_refuses_a_malformed_file(tmp_path: Path, db: None) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"title": "One", "body": "Text."}\n{"title": \n')
    run = run_import(bad, "--dry-run")
    assert run.status == 1 and f"{bad}:2:" in run.stderr


def test_format_wordpress_reads_an_export_named_txt(tmp_path: Path, db: None) -> None:
    named_txt = tmp_path / "export.txt"
    shutil.copy(WXR_SAMPLE, named_txt)
    as_text = run_import(named_txt, "--dry-run")
    assert "1 file(s): 1 created" in as_text.stdout  # one page of text, headed by the XML
    run = run_import(named_txt, "--format", "wordpress")
    assert run.status == 0, run
    assert ArticlePage.objects.filter(import_source="wordpress").count() > 1


def test_format_markdown_reads_a_txt_file_as_markdown(tmp_path: Path, db: None) -> None:
    path = tmp_path / "note.txt"
    path.write_text("---\ntitle: Front matter title\n---\nSome *emphasis* here.\n")
    run = run_import(path, "--format", "markdown", "--publish")
    assert run.status == 0, run
    article = ArticlePage.objects.get()
    assert article.title == "Front matter title"
    assert "<em>emphasis</em>" in str(article.body)


def test_format_wordpress_on_a_file_that_is_not_an_export_is_refused(
    tmp_path: Path, db: None
) -> None:
    path = tmp_path / "story.txt"
    path.write_text("A headline\n\nA paragraph.\n")
    run = run_import(path, "--format", "wordpress")
    assert run.status == 1 and run.stderr.startswith(f"CommandError: {path}"), run
    assert not ArticlePage.objects.exists()


def test_an_unknown_format_is_refused_by_the_parser(tmp_path: Path, db: None) -> None:
    path = tmp_path / "story.txt"
    path.write_text("A headline\n\nA paragraph.\n")
    run = run_import(path, "--format", "rss")
    assert run.status == 1 and "invalid choice: 'rss'" in run.stderr, run
