"""Ghost JSON exports: posts and their bodies (html, Lexical, Mobiledoc), statuses, tags,
authors, members, re-imports, and hostile or malformed files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from newsdesk.news.models import ArticlePage, PlainPage
from newsdesk.newsletter.models import Consent, Subscriber
from tests.importers.commands import assert_refused, run_import

SAMPLE = Path(__file__).parent / "samples" / "ghost.json"


def _article(post_id: str) -> ArticlePage:
    return ArticlePage.objects.get(import_source="ghost", import_external_id=post_id)


def _export(tmp_path: Path, data: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _one_post(**fields: Any) -> dict[str, Any]:
    post = {
        "id": "p1",
        "title": "A post",
        "slug": "a-post",
        "type": "post",
        "status": "published",
        "html": "<p>Text.</p>",
        "published_at": "2024-01-02T03:04:05.000Z",
    }
    post.update(fields)
    return {"db": [{"meta": {"exported_on": 1, "version": "6.0.0"}, "data": {"posts": [post]}}]}


@pytest.fixture
def imported(db: None) -> str:
    run = run_import(SAMPLE)
    assert run.status == 0, run
    return run.stdout


def test_posts_become_articles_with_their_fields(imported: str) -> None:
    article = _article("6650a1")
    assert article.title == "Flood barrier opens on the river"
    assert article.slug == "flood-barrier-opens"
    assert article.dek == "A barrier that took ten years."
    assert article.seo_title == "Flood barrier opens | Riverside"
    assert article.first_published_at == datetime(2024, 6, 10, 8, 0, tzinfo=UTC)
    # Both authors (the byline lists them by name); internal #tags are not topics.
    assert sorted(a.name for a in article.authors.all()) == ["Ann Editor", "Ben Reporter"]
    assert sorted(t.name for t in article.topics.all()) == ["Council", "Floods"]
    assert "1 × internal tag not made a topic" in imported


def test_a_lexical_only_post_keeps_its_structure(imported: str) -> None:
    body = str(_article("6650a1").body)
    assert "<p>The new barrier was <strong>opened</strong> on Monday.</p>" in body
    assert "<h2>What it protects</h2>" in body
    assert "<li>The old town</li>" in body and "<ul>" in body
    assert "<blockquote>" in body and "It is a great day." in body
    assert '<a href="https://example.org/report">Read the report</a>' in body
    assert "image not imported" in imported


def test_a_mobiledoc_post_of_ghost_4_is_rendered(imported: str) -> None:
    body = str(_article("6650a7").body)
    assert "Plain <strong>bold</strong>" in body
    assert '<a href="https://example.org/">' in body
    assert "<li>one</li>" in body and "<em>markdown</em>" in body


def test_html_is_sanitised_like_every_import(imported: str) -> None:
    body = str(_article("6650a2").body)
    assert "<script" not in body and "alert(2)" not in body
    assert "javascript:" not in body and "onerror" not in body
    assert "<img" not in body and ".svg" not in body
    assert "<h2>Numbers</h2>" in body  # the page's h1 is the headline


def test_statuses_and_visibility_are_kept(imported: str) -> None:
    assert _article("6650a1").live
    assert not _article("6650a3").live  # draft
    scheduled = _article("6650a4")
    assert not scheduled.live and scheduled.go_live_at == datetime(2030, 1, 1, 10, tzinfo=UTC)
    # Paid posts are not given away: the site has no paywall to keep them behind.
    assert not _article("6650a5").live
    assert "1 × members-only post imported as a draft" in imported


def test_members_arrive_with_their_state_name_labels_and_a_consent_record(imported: str) -> None:
    rita = Subscriber.objects.get(email_key="reader@example.org")
    assert (rita.status, rita.name, rita.note) == ("confirmed", "Rita Reader", "Labels: VIP")
    assert rita.created_at == datetime(2023, 5, 1, 10, tzinfo=UTC)
    consent = rita.consents.get()
    assert consent.method == Consent.Method.IMPORT
    assert "imported from Ghost on" in consent.text
    # On no newsletter: not subscribed; email disabled by Ghost: a bounced address.
    assert Subscriber.objects.get(email_key="quiet@example.org").status == "unsubscribed"
    assert Subscriber.objects.get(email_key="bounced@example.org").status == "bounced"
    assert Subscriber.objects.count() == 3
    assert "1 × subscribers refused: not a valid email address" in imported
    table = imported.split("refused\n", 1)[1]
    assert any(line.split()[:2] == ["subscribers", "3"] for line in table.splitlines())


def test_a_second_import_creates_nothing(imported: str) -> None:
    articles, subscribers = ArticlePage.objects.count(), Subscriber.objects.count()
    again = run_import(SAMPLE)
    assert f"0 created, 0 updated, {articles} skipped" in again.stdout
    assert (ArticlePage.objects.count(), Subscriber.objects.count()) == (articles, subscribers)


def test_ghost_addresses_keep_working(imported: str, client: Client) -> None:
    # Ghost's /<slug>/ is the article's address here too; no redirect is needed.
    article = _article("6650a1")
    assert article.url == "/flood-barrier-opens/"
    assert client.get("/flood-barrier-opens/").status_code == 200


def test_publish_is_refused_and_draft_keeps_everything_a_draft(db: None) -> None:
    refused = run_import(SAMPLE, "--publish")
    assert_refused(refused, SAMPLE, None, "--publish is refused for a Ghost export")
    assert run_import(SAMPLE, "--draft").status == 0
    assert not ArticlePage.objects.filter(live=True).exists()


def test_older_exports_without_db_and_with_a_subscribed_flag(tmp_path: Path, db: None) -> None:
    data = _one_post()["db"][0]
    data["data"]["members"] = [
        {"id": "m1", "email": "a@example.org", "subscribed": True},
        {"id": "m2", "email": "b@example.org", "subscribed": False},
    ]
    run = run_import(_export(tmp_path, data))
    assert run.status == 0, run
    assert Subscriber.objects.get(email_key="a@example.org").status == "confirmed"
    assert Subscriber.objects.get(email_key="b@example.org").status == "unsubscribed"


def test_an_export_under_another_name_is_recognised(tmp_path: Path, db: None) -> None:
    run = run_import(_export(tmp_path, _one_post(), name="riverside-ghost-2024-06-10"))
    assert run.status == 0, run
    assert _article("p1").live


def test_dry_run_writes_no_subscriber_and_sends_nothing(db: None) -> None:
    run = run_import(SAMPLE, "--dry-run", "--reconfirm")
    assert run.status == 0 and run.stdout.startswith("Dry run"), run
    assert not Subscriber.objects.exists() and not ArticlePage.objects.exists()


# --- Refused ------------------------------------------------------------------------------------


def test_malformed_json_is_refused_with_its_line(tmp_path: Path, db: None) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"db": [{"meta": {},\n "data": {"posts": [}\n]}')
    assert_refused(run_import(path), path, 2, "not valid JSON")


def test_json_that_is_not_a_ghost_export_is_refused(tmp_path: Path, db: None) -> None:
    path = _export(tmp_path, {"posts": []})
    assert_refused(run_import(path), path, None, "not a Ghost export")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"title": ["not", "text"]}, "'title'"),
        ({"published_at": "yesterday"}, "'published_at' is not an ISO 8601 date"),
        ({"lexical": '{"root": {"type": "root", "children": 5}}', "html": ""}, "not a list"),
        ({"lexical": "{broken", "html": ""}, "lexical document is not valid JSON"),
        ({"id": None}, "'id' is missing"),
    ],
)
def test_a_broken_post_imports_nothing_and_is_named(
    tmp_path: Path, db: None, change: dict[str, Any], fragment: str
) -> None:
    path = _export(tmp_path, _one_post(**change))
    message = assert_refused(run_import(path), path, None, fragment)
    assert "post 1 (id" in message


def test_a_deeply_nested_lexical_document_is_refused(tmp_path: Path, db: None) -> None:
    node: dict[str, Any] = {"type": "text", "text": "deep"}
    for _ in range(200):
        node = {"type": "paragraph", "children": [node]}
    lexical = json.dumps({"root": {"type": "root", "children": [node]}})
    path = _export(tmp_path, _one_post(html="", lexical=lexical))
    assert_refused(run_import(path), path, None, "nested more than")


def test_posts_that_are_not_a_list_are_refused(tmp_path: Path, db: None) -> None:
    data = _one_post()
    data["db"][0]["data"]["posts"] = {"id": "p1"}
    path = _export(tmp_path, data)
    assert_refused(run_import(path), path, None, "'data.posts' must be a list of objects")


def test_invalid_utf8_is_refused(tmp_path: Path, db: None) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b'{"db": [{"meta": {"exported_on": 1},\n"data": {"posts": ["\xff"]}}]}')
    assert_refused(run_import(path), path, 2, "not valid UTF-8")


def test_a_page_becomes_a_plain_page(imported: str, client: Client) -> None:
    page = PlainPage.objects.get(import_source="ghost", import_external_id="6650a6")
    assert (page.title, page.slug, page.live) == ("About us", "about", True)
    assert page.body == "<p>We are a local paper.</p>"
    assert not ArticlePage.objects.filter(import_external_id="6650a6").exists()
    assert client.get("/about/").status_code == 200
    assert re.search(r"^pages\s+1\s+0\s+0", imported, re.MULTILINE), imported
