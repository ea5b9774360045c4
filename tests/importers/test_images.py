"""Pictures of imports: from a --media folder or downloaded, checked, stored once, removed again
when the run does not commit; links when there is no source; hostile files refused."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client
from PIL import Image as PillowImage
from wagtail.images import get_image_model

from newsdesk.importers.figures import body_with_images
from newsdesk.importers.ghost_body import lexical_to_html
from newsdesk.importers.media import ImageOptions
from newsdesk.importers.runner import import_paths
from newsdesk.news.models import ArticlePage, Author
from newsdesk.news.rendering import render_body
from tests.importers.commands import run_import

SAMPLE = Path(__file__).parent / "samples" / "wordpress.xml"


def picture(path: Path, size: tuple[int, int] = (40, 30), colour: str = "teal") -> Path:
    """A real picture file, in the format its extension names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    PillowImage.new("RGB", size, colour).save(path)
    return path


@pytest.fixture
def media_root(tmp_path: Path, settings: Any) -> Path:
    """Where the library's files go, so that a test can see which files were left behind."""
    settings.MEDIA_ROOT = str(tmp_path / "site-media")
    return tmp_path / "site-media"


def stored_files(media_root: Path) -> list[Path]:
    return sorted(p for p in media_root.rglob("*") if p.is_file())


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """The sample site's wp-content/uploads folder (and ferry.jpg, at the site's root)."""
    root = tmp_path / "uploads"
    picture(root / "2024" / "06" / "wall.jpg", colour="navy")
    picture(root / "2024" / "05" / "pier-1.png", colour="grey")
    picture(root / "2024" / "05" / "pier-2.png", colour="white")
    picture(root / "ferry.jpg", colour="orange")
    (root / "map.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'
    )
    return root


def _article(post_id: str, source: str = "wordpress") -> ArticlePage:
    return ArticlePage.objects.get(import_source=source, import_external_id=post_id)


def test_a_media_folder_makes_the_pictures_images_of_the_library(
    db: None, media_root: Path, uploads: Path, client: Client
) -> None:
    run = run_import(SAMPLE, "--media", uploads)
    assert run.status == 0, run
    images = get_image_model().objects.all()
    assert images.count() == 4  # wall, ferry, two gallery pictures; the SVG is refused
    wall = _article("101")
    assert wall.featured_image is not None
    assert wall.featured_image.file_hash and wall.featured_image.width == 40
    assert wall.featured_image_alt == "The new river wall at high tide"
    ferry = _article("102")
    body = str(ferry.body)
    assert body.count('embedtype="image"') == 3
    assert "<p><i>The ferry at the north pier</i></p>" in body
    assert "<p><i>The north pier, before the works</i></p>" in body
    # The SVG is refused and stays a link; nothing of it is stored.
    assert '<a href="https://gazette.example/map.svg">Route map</a>' in body
    assert "example.svg" not in " ".join(str(p) for p in stored_files(media_root))
    assert (
        "1 × images refused: SVG is not accepted as an image (it can carry scripts)" in run.stdout
    )
    assert "https://gazette.example/map.svg: image refused: SVG is not accepted" in run.stdout
    row = next(line for line in run.stdout.splitlines() if line.startswith("images"))
    assert row.split()[1:] == ["4", "0", "0", "1"]
    # Readers see the pictures, the caption as the figure's.
    page = client.get(f"/{ferry.slug}/").content.decode()
    assert page.count('class="richtext-image full-width"') == 3
    assert "<figcaption>The ferry at the north pier</figcaption></figure>" in page
    assert "https://gazette.example/ferry.jpg" not in page
    wall_page = client.get(f"/{wall.slug}/").content.decode()
    assert 'alt="The new river wall at high tide"' in wall_page


def test_a_second_import_stores_no_picture_twice(db: None, media_root: Path, uploads: Path) -> None:
    assert run_import(SAMPLE, "--media", uploads).status == 0
    files = stored_files(media_root)
    again = run_import(SAMPLE, "--media", uploads)
    assert again.status == 0, again
    assert get_image_model().objects.count() == 4
    assert stored_files(media_root) == files
    row = next(line for line in again.stdout.splitlines() if line.startswith("images"))
    assert row.split()[1:] == ["0", "0", "4", "1"]
    assert "0 created, 0 updated, 5 skipped" in again.stdout


def test_a_dry_run_leaves_no_image_and_no_file(db: None, media_root: Path, uploads: Path) -> None:
    run = run_import(SAMPLE, "--media", uploads, "--dry-run")
    assert run.status == 0, run
    row = next(line for line in run.stdout.splitlines() if line.startswith("images"))
    assert row.split()[1] == "4"
    assert not get_image_model().objects.exists()
    assert stored_files(media_root) == []


def test_an_interrupted_run_removes_the_files_it_stored(
    db: None, media_root: Path, uploads: Path
) -> None:
    """Ctrl-C midway: the transaction rolls back, and the files written so far go with it."""

    def interrupt(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_paths(
            [SAMPLE],
            publish=False,
            on_progress=interrupt,
            images=ImageOptions(media=uploads),
        )
    assert not get_image_model().objects.exists()
    assert stored_files(media_root) == []


def _wxr_with_body(tmp_path: Path, body: str) -> Path:
    items = SAMPLE.read_text().split("<item>")[0]
    post = (
        "<item><title>Pictures</title><link>https://gazette.example/pictures/</link>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded><wp:post_id>900</wp:post_id>"
        "<wp:status>publish</wp:status><wp:post_type>post</wp:post_type>"
        "<wp:post_date_gmt>2024-06-01 10:00:00</wp:post_date_gmt></item></channel></rss>"
    )
    path = tmp_path / "pictures.xml"
    path.write_text(items + post)
    return path


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("text.jpg", b"this is not a picture", "not a picture file that can be read"),
        ("half.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a picture file that can be read"),
        ("drawing.svg", b"<?xml version='1.0'?><svg/>", "SVG is not accepted"),
    ],
)
def test_files_that_are_not_pictures_are_refused_and_stay_links(
    tmp_path: Path, db: None, media_root: Path, name: str, content: bytes, reason: str
) -> None:
    uploads = tmp_path / "up"
    uploads.mkdir()
    (uploads / name).write_bytes(content)
    export = _wxr_with_body(
        tmp_path, f'<p>Words.</p><img src="https://gazette.example/wp-content/uploads/{name}">'
    )
    run = run_import(export, "--media", uploads)
    assert run.status == 0, run
    assert f"images refused: {reason}" in run.stdout
    assert not get_image_model().objects.exists()
    assert f'href="https://gazette.example/wp-content/uploads/{name}"' in str(_article("900").body)


def test_pictures_over_the_size_and_pixel_limits_are_refused(
    tmp_path: Path, db: None, media_root: Path, settings: Any
) -> None:
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 1_000
    uploads = tmp_path / "up"
    picture(uploads / "wide.png", size=(100, 20))
    picture(uploads / "noise.png", size=(10, 10))
    big = uploads / "big.png"
    PillowImage.effect_noise((30, 30), 90).save(big)
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = big.stat().st_size - 1
    export = _wxr_with_body(
        tmp_path,
        "<p>Words.</p>"
        '<img src="https://gazette.example/wp-content/uploads/wide.png">'
        '<img src="https://gazette.example/wp-content/uploads/big.png">'
        '<img src="https://gazette.example/wp-content/uploads/noise.png">',
    )
    run = run_import(export, "--media", uploads)
    assert run.status == 0, run
    assert "1 × images refused: more than 1,000 pixels" in run.stdout
    assert f"1 × images refused: larger than the limit of {big.stat().st_size - 1:,} bytes" in (
        run.stdout
    )
    assert get_image_model().objects.count() == 1


def test_addresses_cannot_lead_out_of_the_media_folder(
    tmp_path: Path, db: None, media_root: Path
) -> None:
    secret = picture(tmp_path / "secret.png")
    uploads = tmp_path / "up"
    uploads.mkdir()
    (uploads / "link.png").symlink_to(secret)
    export = _wxr_with_body(
        tmp_path,
        "<p>Words.</p>"
        '<img src="https://gazette.example/wp-content/uploads/../../secret.png">'
        '<img src="https://gazette.example/wp-content/uploads/%2e%2e/secret.png">'
        '<img src="https://gazette.example/wp-content/uploads/link.png">',
    )
    run = run_import(export, "--media", uploads)
    assert run.status == 0, run
    assert "images refused: its address leads outside the --media folder" in run.stdout
    assert not get_image_model().objects.exists()


def test_a_media_folder_that_does_not_exist_is_refused(db: None, tmp_path: Path) -> None:
    run = run_import(SAMPLE, "--media", tmp_path / "nowhere")
    assert run.status == 1
    assert "--media" in run.stderr and "no such folder" in run.stderr
    assert not ArticlePage.objects.exists()


# --- Downloads ----------------------------------------------------------------------------------


class _Pictures(http.server.BaseHTTPRequestHandler):
    files: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:
        found = self.files.get(self.path)
        if found is None:
            self.send_error(404)
            return
        content_type, data = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def picture_server() -> Iterator[str]:
    png = io.BytesIO()
    PillowImage.new("RGB", (16, 9), "red").save(png, "PNG")
    _Pictures.files = {
        "/content/images/2024/feature.png": ("image/png", png.getvalue()),
        "/content/images/2024/inline.png": ("image/png", png.getvalue()),
        "/evil.svg": ("image/svg+xml", b"<svg onload='alert(1)'/>"),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pictures)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_images_downloads_a_ghost_posts_pictures(
    tmp_path: Path, db: None, media_root: Path, picture_server: str
) -> None:
    lexical = {
        "root": {
            "type": "root",
            "children": [
                {"type": "paragraph", "children": [{"type": "text", "text": "Words."}]},
                {
                    "type": "image",
                    "src": f"{picture_server}/content/images/2024/inline.png",
                    "alt": "Inline",
                    "caption": "Seen from <b>the hill</b>",
                },
                {"type": "image", "src": f"{picture_server}/missing.png", "alt": "Gone"},
                {"type": "image", "src": f"{picture_server}/evil.svg", "alt": "Evil"},
            ],
        }
    }
    post = {
        "id": "g1",
        "title": "Downloaded",
        "slug": "downloaded",
        "type": "post",
        "status": "published",
        "html": None,
        "lexical": json.dumps(lexical),
        "published_at": "2024-01-02T03:04:05.000Z",
        "feature_image": f"{picture_server}/content/images/2024/feature.png",
    }
    meta = {"post_id": "g1", "feature_image_alt": "A red square", "meta_description": "Short."}
    user = {
        "id": "u1",
        "name": "Ann Editor",
        "slug": "ann",
        "bio": "Covers the harbour.",
        "profile_image": f"{picture_server}/content/images/2024/inline.png",
    }
    data = {
        "posts": [post],
        "posts_meta": [meta],
        "users": [user],
        "posts_authors": [{"id": "pa1", "post_id": "g1", "author_id": "u1", "sort_order": 0}],
    }
    export = tmp_path / "ghost.json"
    export.write_text(json.dumps({"db": [{"meta": {"version": "6.0.0"}, "data": data}]}))
    run = run_import(export, "--fetch-images")
    assert run.status == 0, run
    article = _article("g1", source="ghost")
    # The feature image, the inline one and the author's portrait are the same picture: one
    # image of the library.
    assert get_image_model().objects.count() == 1
    author = Author.objects.get(name="Ann Editor")
    assert author.bio == "Covers the harbour."
    assert author.photo_id == article.featured_image_id
    assert article.featured_image_id is not None
    assert article.featured_image_alt == "A red square"
    assert article.search_description == "Short."
    body = str(article.body)
    assert f'id="{article.featured_image_id}"' in body
    assert "<p><i>Seen from <b>the hill</b></i></p>" in body
    assert "1 × images refused: could not be downloaded (HTTP 404)" in run.stdout
    assert "1 × images refused: SVG is not accepted" in run.stdout
    assert f'<a href="{picture_server}/missing.png">Gone</a>' in body


# --- Bodies -------------------------------------------------------------------------------------


def test_pictures_leave_paragraphs_and_lists_for_a_block_of_their_own() -> None:
    notes: Counter[str] = Counter()
    body = body_with_images(
        '<p>Before <a href="https://a.example/big.jpg"><img src="https://a.example/a.jpg" alt="A">'
        "</a> after.</p>"
        '<ul><li>Item <img src="https://a.example/b.jpg" alt="B"></li></ul>'
        '<p><img src="/relative.jpg" alt="R"></p>'
        '<figure><img src="https://a.example/c.jpg"><figcaption>C &amp; D</figcaption></figure>',
        {"https://a.example/a.jpg": 7},
        notes,
    )
    assert body == (
        "<p>Before  after.</p>\n"
        '<embed alt="A" embedtype="image" format="fullwidth" id="7"/>\n'
        "<ul><li>Item </li></ul>\n"
        '<p><a href="https://a.example/b.jpg">B</a></p>\n'
        '<p><a href="https://a.example/c.jpg">Image</a></p>\n'
        "<p><i>C &amp; D</i></p>"
    )
    assert notes == {
        "image kept as a link to its old address": 2,
        "image left out: its address was relative to the old site (give --media DIR)": 1,
    }


def test_hostile_picture_attributes_do_not_survive() -> None:
    from newsdesk.markup import sanitize_html

    kept = sanitize_html(
        '<img src="javascript:alert(1)" onerror="alert(2)" alt="x">'
        '<img src="data:image/svg+xml;base64,PHN2Zz4=">',
        keep_images=True,
    )
    body = body_with_images(kept, {}, Counter())
    assert "javascript" not in body and "onerror" not in body and "data:" not in body


def test_a_ghost_gallery_card_becomes_a_figure_per_picture() -> None:
    document = {
        "root": {
            "type": "root",
            "children": [
                {
                    "type": "gallery",
                    "images": [{"src": "https://g.example/1.jpg", "alt": "One"}, {"src": 3}],
                    "caption": "Both",
                }
            ],
        }
    }
    html = lexical_to_html(json.dumps(document), Counter())
    assert html == ('<figure><img src="https://g.example/1.jpg" alt="One"></figure>\n<p>Both</p>\n')


@pytest.mark.django_db
def test_an_image_with_an_italic_paragraph_after_it_is_shown_as_a_figure(
    media_root: Path, tmp_path: Path
) -> None:
    from newsdesk.news.services import image_get_or_create

    path = picture(tmp_path / "p.png")
    sha1 = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()
    image, created = image_get_or_create(path=path, name="p.png", title="P", sha1=sha1)
    assert created
    stored = (
        f'<embed alt="P" embedtype="image" format="fullwidth" id="{image.pk}"/>'
        '<p data-block-key="a"><i>The caption</i></p><p><i>Not a caption</i></p>'
    )
    html = str(render_body(stored).html)
    assert '<figure class="body-figure"><img alt="P" class="richtext-image full-width"' in html
    assert "<figcaption>The caption</figcaption></figure><p><i>Not a caption</i></p>" in html
    assert django_settings.MEDIA_URL in html


def test_an_export_carries_the_pictures_to_the_next_site(
    db: None, media_root: Path, uploads: Path, tmp_path: Path
) -> None:
    """Exported bodies and feature images point at the original files; imported again with a
    copy of the old site's media folder, the pictures come back."""
    assert run_import(SAMPLE, "--media", uploads).status == 0
    out = tmp_path / "site.json"
    call_command("export", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    posts = json.loads(out.read_text())["db"][0]["data"]["posts"]
    by_id = {post["slug"]: post for post in posts}
    original = f"{django_settings.SITE_URL}{django_settings.MEDIA_URL}original_images/"
    wall_slug = _article("101").slug
    assert by_id[wall_slug]["feature_image"].startswith(original)
    assert by_id[_article("102").slug]["html"].count(f'<img src="{original}') == 3
    old_media = tmp_path / "old-media"
    shutil.copytree(media_root, old_media)
    ArticlePage.objects.all().delete()
    get_image_model().objects.all().delete()

    run = run_import(out, "--media", old_media)
    assert run.status == 0, run
    assert get_image_model().objects.count() == 4
    wall = ArticlePage.objects.get(title=by_id[wall_slug]["title"])
    assert wall.featured_image_id is not None
    assert wall.featured_image_alt == "The new river wall at high tide"


def test_an_import_fills_an_authors_empty_bio_and_portrait_but_never_overwrites(
    db: None, media_root: Path, tmp_path: Path, client: Client
) -> None:
    from newsdesk.news.services import author_details_save

    uploads = tmp_path / "up"
    picture(uploads / "ann.png")
    Author.objects.create(name="Ann Editor", slug="ann", bio="Written by our editor.")
    users = [
        {"id": "1", "name": "ann editor", "bio": "From Ghost.", "profile_image": "/ann.png"},
        {"id": "2", "name": "Cy Staff", "bio": "Staff without posts."},
    ]
    export = tmp_path / "ghost.json"
    post = {
        "id": "p1",
        "title": "By Ann",
        "slug": "by-ann",
        "type": "post",
        "status": "published",
        "html": "<p>Text.</p>",
        "published_at": "2024-01-02T03:04:05.000Z",
    }
    data = {
        "posts": [post],
        "users": users,
        "posts_authors": [{"id": "a", "post_id": "p1", "author_id": "1", "sort_order": 0}],
    }
    export.write_text(json.dumps({"db": [{"meta": {"version": "6.0.0"}, "data": data}]}))
    run = run_import(export, "--media", uploads)
    assert run.status == 0, run
    ann = Author.objects.get(slug="ann")
    assert ann.bio == "Written by our editor."  # the editor's words stay
    assert ann.photo is not None  # the empty portrait is filled
    assert Author.objects.get(name="Cy Staff").bio == "Staff without posts."
    row = next(line for line in run.stdout.splitlines() if line.startswith("authors"))
    assert row.split()[1:] == ["1", "1", "0", "0"]
    assert author_details_save(name="Ann Editor", bio="Other", photo_id=None) == "skipped"
    page = client.get("/authors/ann/").content.decode()
    assert 'class="author__photo"' in page
