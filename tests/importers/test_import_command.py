"""`newsdesk import PATH... [--publish | --draft]` through Django's call_command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from newsdesk.news.models import ArticlePage, HomePage


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
