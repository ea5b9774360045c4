"""``newsdesk export``: Ghost's JSON and JSON Lines that import back into a fresh site with
the same articles, topics, authors and subscribers; the subscriber CSV; no half-written file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect

from newsdesk.importers import exports
from newsdesk.news.models import ArticlePage, Author, HomePage, PlainPage, Topic
from newsdesk.news.services import ArticleInput, plain_page_save
from newsdesk.newsletter.models import Subscriber
from tests.importers.commands import run_import


def _export(*args: str | Path) -> str:
    out = io.StringIO()
    call_command("export", *(str(a) for a in args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def publication(home: HomePage, make_article: Callable[..., ArticlePage]) -> HomePage:
    make_article(
        "Harbour wall repaired",
        dek="Cranes arrived on Monday.",
        topics=("Harbour", "Council"),
        authors=("Maya Okafor", "Tom Reed"),
        body="<h2>What happened</h2><p>The wall was <strong>repaired</strong>.</p>",
        age=timedelta(days=2),
    )
    make_article("Library opens on Sundays", topics=("Culture",), authors=("Tom Reed",))
    make_article("Budget draft", topics=("Council",), publish=False)
    make_article("Festival line-up", topics=("Culture",), age=timedelta(days=-3))  # scheduled
    about = ArticleInput(
        title="About us", body_html="<p>A newsroom.</p>", slug="about", source="t", external_id="a"
    )
    plain_page_save(data=about, publish=True, home=home)
    for email, status, name in [
        ("ann@example.org", Subscriber.Status.CONFIRMED, "Ann"),
        ("bo@example.org", Subscriber.Status.UNSUBSCRIBED, ""),
        ("cy@example.org", Subscriber.Status.BOUNCED, ""),
        ("di@example.org", Subscriber.Status.PENDING, ""),
    ]:
        Subscriber.objects.create(email=email, email_key=email, status=status, name=name)
    return home


def _snapshot() -> dict[str, Any]:
    articles = {
        a.title: (
            a.slug,
            a.live,
            a.dek,
            str(a.body),
            sorted(t.name for t in a.topics.all()),
            sorted(x.name for x in a.authors.all()),
            a.first_published_at.replace(microsecond=0) if a.live else None,
        )
        for a in (
            x if x.live else x.get_latest_revision_as_object() for x in ArticlePage.objects.all()
        )
    }
    return {
        "articles": articles,
        "scheduled": sorted(
            a.title for a in ArticlePage.objects.filter(live=False, go_live_at__isnull=False)
        ),
        "pages": sorted((p.title, p.slug, p.live) for p in PlainPage.objects.all()),
        "topics": sorted(Topic.objects.values_list("name", flat=True)),
        "authors": sorted(Author.objects.values_list("name", flat=True)),
        "confirmed": sorted(
            Subscriber.objects.filter(status="confirmed").values_list("email", flat=True)
        ),
        "not mailed": sorted(
            Subscriber.objects.exclude(status="confirmed").values_list("email", "status")
        ),
    }


def _site_emptied() -> None:
    for page in [*ArticlePage.objects.all(), *PlainPage.objects.all()]:
        page.delete()
    Topic.objects.all().delete()
    Author.objects.all().delete()
    Subscriber.objects.all().delete()
    Redirect.objects.all().delete()


def test_a_ghost_export_imports_into_a_fresh_site_with_the_same_publication(
    publication: HomePage, tmp_path: Path
) -> None:
    before = _snapshot()
    out = tmp_path / "site.json"
    summary = _export(out)
    assert "4 articles, 1 pages" in summary and "3 subscribers" in summary, summary
    assert "1 unconfirmed subscribers left out" in summary
    _site_emptied()
    run = run_import(out)
    assert run.status == 0, run
    after = _snapshot()
    # The one never confirmed is not exported: the rest come back as they were.
    before["not mailed"].remove(("di@example.org", "pending"))
    assert after == before


def test_the_ghost_export_has_ghosts_shape(publication: HomePage, tmp_path: Path) -> None:
    out = tmp_path / "site.json"
    _export(out)
    document = json.loads(out.read_text())
    (database,) = document["db"]
    assert database["meta"]["version"].startswith("6.")
    data = database["data"]
    statuses = sorted(post["status"] for post in data["posts"] if post["type"] == "post")
    assert statuses == ["draft", "published", "published", "scheduled"]
    ids = [row["id"] for table in data.values() for row in table]
    assert all(len(i) == 24 and int(i, 16) >= 0 for i in ids)  # Ghost's object ids
    assert len(ids) == len(set(ids))
    users = {user["name"]: user["email"] for user in data["users"]}
    assert users["Maya Okafor"] == "maya-okafor@authors.invalid"
    post_ids = {post["id"] for post in data["posts"]}
    assert {link["post_id"] for link in data["posts_tags"]} <= post_ids
    (newsletter,) = data["newsletters"]
    assert {link["newsletter_id"] for link in data["members_newsletters"]} == {newsletter["id"]}
    assert [m["member_id"] for m in data["members_newsletters"]] == [
        m["id"] for m in data["members"] if m["email"] == "ann@example.org"
    ]


def test_a_jsonl_export_imports_back_with_its_articles(
    publication: HomePage, tmp_path: Path
) -> None:
    out = tmp_path / "articles.jsonl"
    assert "4 articles" in _export(out, "--format", "jsonl")
    titles = {
        a.title: (str(a.body), sorted(t.name for t in a.topics.all()))
        for a in (
            x if x.live else x.get_latest_revision_as_object() for x in ArticlePage.objects.all()
        )
    }
    _site_emptied()
    run = run_import(out)
    assert run.status == 0, run
    again = {
        a.title: (str(a.body), sorted(t.name for t in a.topics.all()))
        for a in (x.get_latest_revision_as_object() for x in ArticlePage.objects.all())
    }
    assert again == titles
    assert run_import(out).stdout.startswith("1 file(s): 0 created, 0 updated, 4 skipped")


def test_the_subscriber_csv_is_formula_safe(home: HomePage, tmp_path: Path) -> None:
    Subscriber.objects.create(
        email="=cmd|' /C calc'!A0@example.org", email_key="x@example.org", status="confirmed"
    )
    out = tmp_path / "subscribers.csv"
    assert "1 subscribers" in _export("subscribers", out)
    rows = list(csv.reader(out.open(newline="")))
    assert rows[0][:2] == ["email", "status"]
    assert rows[1][0].startswith("'=")  # shown as text by a spreadsheet, never run
    assert out.stat().st_mode & 0o777 == 0o640


def test_a_failed_export_leaves_nothing_half_written(
    publication: HomePage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "site.json"
    out.write_text("the last good export")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports.json, "dump", broken)
    with pytest.raises(CommandError, match="cannot write: No space left on device"):
        _export(out)
    assert out.read_text() == "the last good export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site.json"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["subscribers"], "name one file to write"),
        (["a.json", "b.json"], "name one file to write"),
        (["/no/such/folder/out.json"], "the folder /no/such/folder does not exist"),
    ],
)
def test_bad_arguments_are_refused(db: None, args: list[str], said: str) -> None:
    with pytest.raises(CommandError, match=said):
        _export(*args)


def test_a_folder_as_target_is_refused(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="is a folder"):
        _export(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_empty_site_exports_an_empty_ghost_file(home: HomePage, tmp_path: Path) -> None:
    out = tmp_path / "empty.json"
    assert "nothing to export" in _export(out)
    (database,) = json.loads(out.read_text())["db"]
    assert database["data"]["posts"] == [] and database["data"]["members"] == []
    exported_on = database["meta"]["exported_on"] / 1000
    assert abs(exported_on - timezone.now().timestamp()) < 60
