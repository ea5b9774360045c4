"""`newsdesk related`: one article's list with scores, every list as JSON Lines, and rebuild."""

from __future__ import annotations

import json
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from newsdesk.news.models import ArticlePage
from newsdesk.related.models import RelatedLink
from tests.related.conftest import Newsroom, stored_list


def run(*args: str) -> str:
    out = StringIO()
    call_command("related", *args, stdout=out)
    return out.getvalue()


def test_a_slug_prints_its_related_stories_with_scores(published: Newsroom) -> None:
    article = published.articles["flood-approved"]
    output = run(article.slug).splitlines()
    assert output[0] == f"{article.title} ({article.slug})"
    rows = [re.fullmatch(r"\s+(\d+)\.\s+(\d+\.\d{3})\s+(\S+)", line) for line in output[1:]]
    assert all(rows), output
    links = list(RelatedLink.objects.filter(source=article).order_by("rank"))
    assert [int(row[1]) for row in rows] == list(range(1, len(links) + 1))  # type: ignore[index]
    assert [row[3] for row in rows] == [link.target.slug for link in links]  # type: ignore[index]
    assert [float(row[2]) for row in rows] == [  # type: ignore[index]
        round(link.score, 3) for link in links
    ]


def test_an_unknown_or_unpublished_slug_is_a_clear_error(published: Newsroom) -> None:
    with pytest.raises(CommandError, match="no-such-story"):
        run("no-such-story")
    gone = published.articles["rovers-striker"]
    with published.capture(execute=True):
        gone.unpublish()
    with pytest.raises(CommandError, match=gone.slug):
        run(gone.slug)
    with pytest.raises(CommandError):
        run()


def test_all_as_jsonl_is_one_line_per_published_article_in_rank_order(
    published: Newsroom,
) -> None:
    gone = published.articles["rovers-striker"]
    with published.capture(execute=True):
        gone.unpublish()
    lines = [json.loads(line) for line in run("--all", "--format", "jsonl").splitlines()]
    assert all(set(line) == {"slug", "related"} for line in lines)
    live = ArticlePage.objects.published()
    assert sorted(line["slug"] for line in lines) == sorted(a.slug for a in live)
    slugs = {a.pk: a.slug for a in ArticlePage.objects.all()}
    for line in lines:
        article = live.get(slug=line["slug"])
        assert line["related"] == [slugs[pk] for pk in stored_list(article)]
        assert gone.slug not in line["related"]
    assert len(lines) == len(published.articles) - 1


def test_rebuild_with_progress_prints_a_summary(
    published: Newsroom, capsys: pytest.CaptureFixture[str]
) -> None:
    RelatedLink.objects.all().delete()
    output = run("rebuild", "--progress")
    count = ArticlePage.objects.published().count()
    assert output.strip().endswith(f"Related stories rebuilt for {count} articles")
    assert f"] {count}/{count}" in capsys.readouterr().err
    for article in published.articles.values():
        assert stored_list(article)
