"""Substack exports (.zip): posts and their bodies, statuses, the email list, re-imports, old
addresses, and hostile archives (paths out, symbolic links, ZIP bombs)."""

from __future__ import annotations

import re
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import Client

from newsdesk.importers import substack
from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.models import Consent, Subscriber
from tests.importers.commands import assert_refused, run_import

SAMPLE_DIR = Path(__file__).parent / "samples" / "substack"


def _zip(tmp_path: Path, members: dict[str, bytes | str], name: str = "export.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return path


def _sample_members() -> dict[str, bytes | str]:
    return {
        str(file.relative_to(SAMPLE_DIR)): file.read_bytes()
        for file in sorted(SAMPLE_DIR.rglob("*"))
        if file.is_file()
    }


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """The sample folder zipped as Substack sends it (the archive Substack's email links to)."""
    return _zip(tmp_path, _sample_members(), "riverside-export.zip")


@pytest.fixture
def imported(db: None, sample: Path) -> str:
    run = run_import(sample)
    assert run.status == 0, run
    return run.stdout


def _article(number: str) -> ArticlePage:
    return ArticlePage.objects.get(import_source="substack", import_external_id=number)


def test_posts_become_articles_with_their_fields(imported: str) -> None:
    article = _article("140001")
    assert article.title == "Harbour toll scrapped"
    assert article.dek == "Boats moor free from June, the council says"
    assert article.slug == "harbour-toll-scrapped"
    assert article.live
    assert article.first_published_at == datetime(2024, 5, 2, 7, 30, tzinfo=UTC)


def test_a_body_keeps_its_sections_and_loses_substack_furniture_and_what_is_unsafe(
    imported: str,
) -> None:
    body = str(_article("140001").body)
    assert "<h2>What changes</h2>" in body and "<h3>Who pays</h3>" in body
    assert '<a href="https://council.example/tolls">The decision</a>' in body
    assert "<li>The county, for two years.</li>" in body
    # Substack's subscribe button and signup box, tags and words.
    assert "Subscribe now" not in body and "Thanks for reading" not in body
    assert "substack.com/subscribe" not in body
    assert "<script" not in body and "alert" not in body and "javascript:" not in body
    assert "<img" not in body and "onerror" not in body
    # Without --fetch-images the picture is a link, its caption the paragraph after it; the
    # hostile <img src="x"> had a relative address, so it led nowhere and is gone.
    assert (
        '<p><a href="https://substackcdn.example/img.jpg">The harbour</a></p>\n'
        "<p><i>The harbour at dawn</i></p>"
    ) in body
    assert "Fishermen welcomed it." in body
    assert "2 × Substack button or signup box left out" in imported
    assert "1 × image kept as a link to its old address" in imported
    assert "1 × image left out: its address was relative to the old site" in imported


def test_statuses_and_audiences_are_kept(imported: str) -> None:
    assert not _article("140002").live  # paid-only: there is no paywall here
    assert not _article("140003").live  # a draft
    assert _article("140003").first_published_at is None
    assert "1 × paid-only post imported as a draft" in imported


def test_podcasts_come_without_audio_and_threads_are_left_out(imported: str) -> None:
    podcast = _article("140004")
    assert podcast.live and "<h2>Show notes</h2>" in str(podcast.body)
    assert "1 × podcast imported without its audio" in imported
    assert "1 × discussion thread not imported" in imported
    assert "1 × post without its HTML file in the archive not imported" in imported
    assert sorted(ArticlePage.objects.values_list("import_external_id", flat=True)) == [
        "140001",
        "140002",
        "140003",
        "140004",
    ]


def test_the_email_list_becomes_confirmed_subscribers_with_a_consent_record(
    imported: str,
) -> None:
    ann = Subscriber.objects.get(email_key="ann@example.org")
    assert ann.status == "confirmed" and ann.note == ""
    assert ann.created_at == datetime(2023, 1, 5, 10, tzinfo=UTC)
    consent = ann.consents.get()
    assert consent.method == Consent.Method.IMPORT
    assert "imported from Substack on" in consent.text
    bo = Subscriber.objects.get(email_key="bo@example.org")
    assert (bo.status, bo.note) == ("confirmed", "Substack paid subscriber (yearly)")
    assert Subscriber.objects.get(email_key="cy@example.org").status == "bounced"
    assert Subscriber.objects.count() == 3
    assert "1 × subscribers refused: not a valid email address" in imported
    assert re.search(r"^subscribers\s+3\s+0\s+0\s+1", imported, re.MULTILINE), imported


def test_old_substack_addresses_redirect(imported: str, client: Client) -> None:
    response = client.get("/p/harbour-toll-scrapped")
    assert response.status_code == 301
    assert response["Location"] == _article("140001").url


def test_a_second_import_creates_nothing(imported: str, sample: Path) -> None:
    again = run_import(sample)
    assert again.status == 0, again
    assert "0 created, 0 updated, 4 skipped" in again.stdout
    assert Subscriber.objects.count() == 3


def test_publish_is_refused_and_draft_makes_everything_a_draft(db: None, sample: Path) -> None:
    assert_refused(run_import(sample, "--publish"), sample, None, "--publish is refused")
    run = run_import(sample, "--draft")
    assert run.status == 0, run
    assert not ArticlePage.objects.filter(live=True).exists()


def test_an_archive_under_another_name_is_recognised_and_format_names_it(
    tmp_path: Path, db: None
) -> None:
    renamed = _zip(tmp_path, _sample_members(), "download")
    assert run_import(renamed).status == 0
    named = _zip(tmp_path, _sample_members(), "export.bin")
    assert run_import(named, "--format", "substack").status == 0


def test_a_folder_inside_the_archive_is_accepted(tmp_path: Path, db: None) -> None:
    nested = {f"riverside/{name}": data for name, data in _sample_members().items()}
    run = run_import(_zip(tmp_path, nested))
    assert run.status == 0, run
    assert ArticlePage.objects.count() == 4


# --- Refused ----------------------------------------------------------------------------------


def _minimal(**extra: bytes | str) -> dict[str, bytes | str]:
    return {
        "posts.csv": "post_id,post_date,is_published,type,audience,title,subtitle\n"
        "1.a-post,2024-01-01T00:00:00Z,true,newsletter,everyone,A post,\n",
        "posts/1.a-post.html": "<p>Text.</p>",
        **extra,
    }


@pytest.mark.parametrize(
    ("member", "said"),
    [
        ("../evil.txt", "climbs out with .."),
        ("posts/../../evil.html", "climbs out with .."),
        ("/etc/evil", "has an absolute path"),
        ("C:/evil.txt", "has an absolute path"),
    ],
)
def test_members_that_climb_out_are_refused(
    tmp_path: Path, db: None, member: str, said: str
) -> None:
    path = _zip(tmp_path, _minimal(**{member: "x"}))
    assert_refused(run_import(path), path, None, "refused: the archive member", said)


def test_a_symbolic_link_is_refused(tmp_path: Path, db: None) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in _minimal().items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("posts/link.html")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    assert_refused(run_import(path), path, None, "is a symbolic link")


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path: Path, db: None) -> None:
    path = tmp_path / "bomb.zip"
    chunk = b"\0" * (64 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _minimal().items():
            archive.writestr(name, data)
        for n in range(17):  # 17 × 64 MiB of zeros: over 1 GiB unpacked, about 1 MB packed
            archive.writestr(f"posts/zeros-{n}.html", chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    assert_refused(run_import(path), path, None, "unpacks to", "the limit is 1,073,741,824")


def test_a_header_that_lies_about_its_size_reads_no_further_than_the_limit(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(substack, "MAX_BODY_CHARS", 100)
    path = _zip(tmp_path, _minimal(**{"posts/1.a-post.html": "<p>" + "word " * 200 + "</p>"}))
    assert_refused(run_import(path), f"{path} (posts/1.a-post.html)", None, "longer than")


def test_too_many_members_are_refused(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(substack, "MAX_ARCHIVE_MEMBERS", 5)
    path = _zip(tmp_path, _minimal(**{f"posts/{n}.html": "x" for n in range(5)}))
    assert_refused(run_import(path), path, None, "has 7 members; the limit is 5")


def test_a_zip_without_posts_csv_is_refused_by_name(tmp_path: Path, db: None) -> None:
    path = _zip(tmp_path, {"readme.txt": "hello"})
    assert_refused(run_import(path), path, None, "a ZIP archive that is not a Substack export")


def test_a_damaged_archive_is_refused(tmp_path: Path, db: None) -> None:
    path = tmp_path / "export.zip"
    path.write_bytes(b"PK\x03\x04" + b"\xff" * 200)
    assert_refused(run_import(path, "--format", "substack"), path, None, "not a ZIP archive")


@pytest.mark.parametrize(
    ("posts_csv", "line", "said"),
    [
        ("title\nA post\n", 1, "lacks the column(s) post_id"),
        ("post_id,title\nabc,A post\n", 2, "'post_id' is not <number>.<slug>"),
        ("post_id,title,post_date,is_published\n1.a-post,A,next week,true\n", 2, "post_date"),
        ("post_id,title\n1.a-post,A\n1.a-post,B\n", 3, "appears twice"),
    ],
)
def test_a_malformed_posts_csv_names_its_line(
    tmp_path: Path, db: None, posts_csv: str, line: int, said: str
) -> None:
    path = _zip(tmp_path, _minimal(**{"posts.csv": posts_csv}))
    assert_refused(run_import(path), f"{path} (posts.csv)", line, said)


def test_a_body_that_is_not_utf8_names_the_member(tmp_path: Path, db: None) -> None:
    path = _zip(tmp_path, _minimal(**{"posts/1.a-post.html": b"<p>caf\xe9</p>"}))
    assert_refused(run_import(path), f"{path} (posts/1.a-post.html)", 1, "is not UTF-8 text")
    assert not Subscriber.objects.exists()
