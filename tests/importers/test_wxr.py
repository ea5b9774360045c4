"""WordPress exports (WXR): posts, statuses, bodies, re-imports, old addresses, hostile files."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client
from wagtail.contrib.redirects.models import Redirect

from newsdesk.importers.base import ImportFailure
from newsdesk.importers.wxr import parse_wxr
from newsdesk.news.models import ArticlePage, PlainPage
from tests.importers.commands import assert_refused, run_import

SAMPLE = Path(__file__).parent / "samples" / "wordpress.xml"

WXR_START = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>\n'
)


def _post(post_id: int, body: str = "<p>Text.</p>", status: str = "publish") -> str:
    return (
        f"<item><title>Post {post_id}</title><link>https://old.example/p{post_id}/</link>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        f"<wp:post_id>{post_id}</wp:post_id>"
        "<wp:post_date_gmt>2024-01-02 03:04:05</wp:post_date_gmt>"
        f"<wp:post_name>post-{post_id}</wp:post_name><wp:status>{status}</wp:status>"
        "<wp:post_type>post</wp:post_type></item>\n"
    )


def _export(tmp_path: Path, *items: str, name: str = "export.xml", version: str = "1.2") -> Path:
    path = tmp_path / name
    start = WXR_START.replace("export/1.2/", f"export/{version}/")
    path.write_text(start + "".join(items) + "</channel>\n</rss>\n", encoding="utf-8")
    return path


def _article(post_id: int) -> ArticlePage:
    return ArticlePage.objects.get(import_source="wordpress", import_external_id=str(post_id))


# --- What a post becomes ----------------------------------------------------------------------


@pytest.fixture
def imported(db: None) -> str:
    run = run_import(SAMPLE)
    assert run.status == 0, run
    return run.stdout


def test_posts_become_articles_with_their_fields(imported: str) -> None:
    article = _article(101)
    assert article.title == "Council votes to rebuild the river wall"
    assert article.slug == "river-wall-vote"
    assert article.dek == "The wall will be rebuilt & paid for by the council and the county."
    assert article.first_published_at == datetime(2024, 6, 10, 9, 30, tzinfo=UTC)
    assert [a.name for a in article.authors.all()] == ["Mira Okafor"]
    assert sorted(t.name for t in article.topics.all()) == ["Flooding", "Local Politics"]
    # The login in dc:creator is shown by the display name of the channel's wp:author.
    assert [a.name for a in _article(102).authors.all()] == ["Tomás Lindqvist"]
    # WordPress's default category is not a topic anybody chose.
    assert [t.name for t in _article(102).topics.all()] == ["Transport"]


def test_statuses_are_kept(imported: str) -> None:
    published, draft, scheduled = _article(101), _article(103), _article(104)
    assert published.live and not draft.live
    assert not scheduled.live
    assert scheduled.go_live_at == datetime(2099, 7, 1, 8, 0, tzinfo=UTC)
    assert draft.first_published_at is None  # WordPress's zero date
    # A password-protected post is not for everyone: a draft, its password left behind.
    assert not _article(106).live
    # A private post is left out unless asked for; pages and attachments are not posts.
    assert set(ArticlePage.objects.values_list("import_external_id", flat=True)) == {
        "101",
        "102",
        "103",
        "104",
        "106",
    }
    assert "1 × private post not imported (--include-private imports them as drafts)" in imported
    assert "1 × password-protected post imported as a draft" in imported


def test_a_page_becomes_a_plain_page_in_the_footer(imported: str, client: Client) -> None:
    page = PlainPage.objects.get(import_source="wordpress", import_external_id="2")
    assert (page.title, page.slug, page.live) == ("About us", "about", True)
    assert "We are a small newsroom." in page.body
    assert re.search(r"^pages\s+1\s+0\s+0", imported, re.MULTILINE), imported
    assert '<a href="/about/">About us</a>' in client.get("/").content.decode()
    # WordPress's own address of a page is /?page_id=2; /about/ is its new address too.
    response = client.get("/?page_id=2")
    assert (response.status_code, response["Location"]) == (301, "/about/")
    assert not Redirect.objects.filter(old_path="/about").exists()
    again = run_import(SAMPLE)
    assert re.search(r"^pages\s+0\s+0\s+1", again.stdout, re.MULTILINE), again.stdout
    assert PlainPage.objects.count() == 1


def test_a_block_editor_body_keeps_its_headed_sections_and_loses_what_is_unsafe(
    imported: str,
) -> None:
    body = _article(101).body
    assert "<h2>What the vote means</h2>" in body and "<h3>Who pays</h3>" in body
    assert "<li>Work starts in August.</li>" in body and "<blockquote>" in body
    assert '<a href="https://county.example/budget">half the cost</a>' in body
    for unsafe in ("wp:", "<script", "document.cookie", "onclick", "javascript:", "<img"):
        assert unsafe not in body, unsafe


def test_a_classic_body_gets_paragraphs_and_its_shortcodes_are_reported(imported: str) -> None:
    body = _article(102).body
    assert body.startswith(
        "<p>The morning ferry will leave twenty minutes earlier from Monday.<br>\n"
        "Passengers were told by text message.</p>"
    )
    # Without --media, the caption's picture is a link to it, its caption the paragraph after.
    assert (
        '<p><a href="https://gazette.example/ferry.jpg">The ferry</a></p>\n'
        "<p><i>The ferry at the north pier</i></p>"
    ) in body
    assert "tide tables [sic].</p>" in body
    for gone in ("[gallery", "[contact-form-7", "onerror", "<img", "<p></p>", "newsdesk.invalid"):
        assert gone not in body, gone
    assert "1 × [contact-form-7] shortcode dropped" in imported
    # The gallery names 61, 62 and 63: the export has the first two.
    assert "1 × [gallery] picture missing from the export, left out" in imported


def test_include_private_imports_private_posts_as_drafts(db: None) -> None:
    run = run_import(SAMPLE, "--include-private")
    assert run.status == 0, run
    assert not _article(105).live
    assert "1 × private post imported as a draft" in run.stdout


def test_draft_keeps_every_post_a_draft(db: None) -> None:
    assert run_import(SAMPLE, "--draft").status == 0
    assert ArticlePage.objects.count() == 5
    assert not ArticlePage.objects.filter(live=True).exists()
    assert not ArticlePage.objects.exclude(go_live_at=None).exists()


def test_publish_is_refused_for_an_export(db: None) -> None:
    run = run_import(SAMPLE, "--publish")
    assert_refused(run, SAMPLE, None, "--publish is refused for a WordPress export", "--draft")


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2"])
def test_each_wxr_version_is_read(tmp_path: Path, version: str) -> None:
    parsed = parse_wxr(_export(tmp_path, _post(7), version=version))
    assert [a.title for a in parsed.articles] == ["Post 7"]


def test_an_export_without_the_xml_extension_is_recognised(tmp_path: Path, db: None) -> None:
    path = tmp_path / "export"
    shutil.copy(SAMPLE, path)
    assert run_import(path).status == 0
    assert ArticlePage.objects.count() == 5


# --- Re-imports -------------------------------------------------------------------------------


def test_a_second_import_creates_nothing(imported: str) -> None:
    assert imported.startswith("1 file(s): 5 created, 0 updated, 0 skipped")
    pks = set(ArticlePage.objects.values_list("pk", flat=True))
    redirects = Redirect.objects.count()
    again = run_import(SAMPLE)
    assert again.status == 0, again
    assert again.stdout.splitlines()[0] == "1 file(s): 0 created, 0 updated, 5 skipped"
    assert set(ArticlePage.objects.values_list("pk", flat=True)) == pks
    assert Redirect.objects.count() == redirects


def test_a_changed_post_is_updated_in_place(tmp_path: Path, db: None) -> None:
    assert run_import(_export(tmp_path, _post(7))).status == 0
    first = _article(7)
    run = run_import(_export(tmp_path, _post(7, body="<p>Corrected.</p>")))
    assert run.stdout.startswith("1 file(s): 0 created, 1 updated, 0 skipped")
    article = _article(7)
    assert article.pk == first.pk and article.body == "<p>Corrected.</p>"


def test_posts_are_matched_by_id_not_by_another_sources_slug(tmp_path: Path, db: None) -> None:
    markdown = tmp_path / "post-7.md"
    markdown.write_text("---\ntitle: Someone else's\nslug: post-7\n---\nTheirs.\n")
    assert run_import(markdown).status == 0
    assert run_import(_export(tmp_path, _post(7))).status == 0
    assert ArticlePage.objects.count() == 2
    assert ArticlePage.objects.get(import_source="markdown").body.strip() == "<p>Theirs.</p>"


# --- Old addresses ----------------------------------------------------------------------------


def test_old_permalinks_redirect_to_the_article(imported: str, client: Client) -> None:
    new_url = _article(101).url
    assert new_url == "/river-wall-vote/"
    for old in ("/2024/06/10/river-wall-vote/", "/2024/06/10/river-wall-vote", "/?p=101"):
        response = client.get(old)
        assert response.status_code == 301, old
        assert response["Location"] == new_url, old
    # Other parameters stay out of the way of the match.
    response = client.get("/?p=101&utm_source=newsletter")
    assert (response.status_code, response["Location"]) == (301, new_url)
    assert "old address(es) now redirect to their new one" in imported


def test_the_home_page_and_unknown_post_ids_are_not_redirected(
    imported: str, client: Client
) -> None:
    assert client.get("/").status_code == 200
    assert client.get("/?p=999").status_code == 200
    assert client.get("/?p=abc").status_code == 200
    assert client.get("/?p=" + "9" * 5000).status_code == 200
    for page_id in ("999", "abc", "-2", "２", "9" * 5000, "2'; DROP TABLE x"):
        assert client.get("/", {"page_id": page_id}).status_code == 200, page_id
    # A post's id is not a page's: /?page_id=101 is not post 101.
    assert client.get("/?page_id=101").status_code == 200
    assert client.post("/?page_id=2").status_code == 405  # only GET and HEAD are redirected
    assert client.get("/2024/06/10/no-such-post/").status_code == 404


def test_drafts_get_no_redirect_until_published(imported: str, client: Client) -> None:
    """A redirect to a draft would answer 301 to a 404 and tell its slug (its headline)."""
    for old in ("/?p=103", "/?p=104", "/?p=106"):  # a draft, a scheduled post, a password
        response = client.get(old)
        assert response.status_code == 200, old  # the home page, as for any other ?p=
    assert client.get("/2024/06/03/briefing/").status_code == 404
    draft = _article(103)
    draft.save_revision().publish()
    assert run_import(SAMPLE).status == 0  # the next re-import adds them
    response = client.get("/?p=103")
    assert (response.status_code, response["Location"]) == (301, _article(103).url)


def test_a_markdown_file_that_quotes_an_export_is_markdown(tmp_path: Path, db: None) -> None:
    path = tmp_path / "notes.md"
    path.write_text(
        '# About WXR\n\n<rss xmlns:wp="http://wordpress.org/export/1.2/"> starts an export.\n'
    )
    assert run_import(path).status == 0
    assert ArticlePage.objects.get().title == "About WXR"


def test_an_editors_redirect_is_left_alone(tmp_path: Path, db: None) -> None:
    Redirect.objects.create(old_path="/p7", site=None, redirect_link="https://elsewhere.example/")
    assert run_import(_export(tmp_path, _post(7))).status == 0
    assert Redirect.objects.get(old_path="/p7").redirect_link == "https://elsewhere.example/"
    assert Redirect.objects.get(old_path="/?p=7").redirect_page_id == _article(7).pk


# --- Hostile and broken files -----------------------------------------------------------------

HOSTILE = {
    "xxe": (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + WXR_START.split("\n", 1)[1]
        + _post(1, body="&xxe;").replace("<![CDATA[&xxe;]]>", "&xxe;")
        + "</channel></rss>\n"
    ),
    "billion-laughs": (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]>\n'
        + WXR_START.split("\n", 1)[1]
        + "<item><title>&c;</title></item></channel></rss>\n"
    ),
    "external-dtd": (
        '<?xml version="1.0"?>\n<!DOCTYPE rss SYSTEM "https://evil.example/wxr.dtd">\n'
        + WXR_START.split("\n", 1)[1]
        + _post(1)
        + "</channel></rss>\n"
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_dtds_and_entities_are_refused(tmp_path: Path, db: None, name: str) -> None:
    path = tmp_path / f"{name}.xml"
    path.write_text(HOSTILE[name], encoding="utf-8")
    run = run_import(path)
    assert_refused(run, path, None, "refused: the file declares entities or a DTD")
    assert "root:" not in run.stderr  # nothing of /etc/passwd


def test_invalid_utf8_is_refused_with_its_line(tmp_path: Path, db: None) -> None:
    path = tmp_path / "latin1.xml"
    good = (WXR_START + _post(1)).encode()
    path.write_bytes(good + b"<item><title>\xe9t\xe9</title></item></channel></rss>\n")
    run = run_import(path)
    assert_refused(run, path, good.count(b"\n") + 1, "not well-formed XML", "UTF-8")


def test_a_broken_post_further_on_imports_nothing(tmp_path: Path, db: None) -> None:
    path = _export(tmp_path, _post(1), _post(2).replace("2024-01-02", "20224-01-02"))
    assert_refused(run_import(path), path, None, "post 2: 'wp:post_date_gmt' is not a date")


def test_a_post_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure, match="post 1 appears twice"):
        parse_wxr(_export(tmp_path, _post(1), _post(1)))


@pytest.mark.parametrize(
    "content",
    [
        '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Feed</title></channel></rss>\n',
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    ],
)
def test_other_xml_is_refused(tmp_path: Path, db: None, content: str) -> None:
    path = tmp_path / "other.xml"
    path.write_text(content)
    assert_refused(run_import(path), path, None, "not a WordPress export (WXR)")


def test_xml_that_only_mentions_the_namespace_late_is_refused(tmp_path: Path, db: None) -> None:
    """Sniffed as an export by its start, then refused by the parse: the root is not <rss>."""
    path = tmp_path / "odd.xml"
    path.write_text('<feed xmlns:wp="http://wordpress.org/export/1.2/"><rss/></feed>\n')
    assert_refused(run_import(path), path, None, "this XML file is not a WordPress export")


def test_an_export_over_the_limit_is_refused_while_streaming(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsdesk.importers import wxr

    path = _export(tmp_path, *(_post(n) for n in range(1, 200)))
    monkeypatch.setattr(wxr, "MAX_WXR_BYTES", path.stat().st_size - 1)
    assert_refused(run_import(path), path, None, "input is longer than the limit")
    monkeypatch.setattr(wxr, "MAX_WXR_BYTES", path.stat().st_size)
    assert run_import(path).status == 0
    assert ArticlePage.objects.count() == 199
