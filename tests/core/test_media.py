"""Uploaded media served like static files (core/media.py): ranges, 304s, caching headers, a
content type with nosniff, and nothing outside MEDIA_ROOT or under documents/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils.http import http_date

from newsdesk.core.byte_ranges import ByteRange, RangeAnswer, requested_range
from newsdesk.core.media import MAX_AGE_SECONDS

# Requests pass through the middleware, which looks up the Site.
pytestmark = pytest.mark.django_db
# Distinct bytes at every offset of the first 256, so a wrong offset shows in the body.
CONTENT = bytes(range(256)) * 40  # 10240 bytes
SIZE = len(CONTENT)


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    (settings.MEDIA_ROOT / "images").mkdir()
    (settings.MEDIA_ROOT / "images" / "harbour.fill-300x200.jpg").write_bytes(CONTENT)
    (tmp_path / "settings.py").write_text("SECRET_KEY = 'outside media'")
    return settings.MEDIA_ROOT


@pytest.fixture
def picture(media_root: Path) -> Iterator[str]:
    yield "/media/images/harbour.fill-300x200.jpg"


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_file_comes_whole_with_caching_headers(client: Client, picture: str) -> None:
    response = client.get(picture)
    assert response.status_code == 200
    assert _body(response) == CONTENT
    assert response["Content-Length"] == str(SIZE)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Cache-Control"] == f"public, max-age={MAX_AGE_SECONDS}"
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"]
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_head_answers_with_the_same_headers(client: Client, picture: str) -> None:
    response = client.head(picture)
    assert response.status_code == 200
    assert response["Content-Length"] == str(SIZE)
    assert _body(response) == b""


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),  # the first bytes
        ("bytes=100-", 100, SIZE - 1),  # from an offset to the end
        ("bytes=-300", SIZE - 300, SIZE - 1),  # the last bytes (a suffix)
        ("bytes=5000-999999", 5000, SIZE - 1),  # past the end: up to the end
        ("bytes=-999999", 0, SIZE - 1),  # a suffix longer than the file: all of it
        ("BYTES = 7 - 7", 7, 7),  # one byte, in odd spelling
    ],
)
def test_one_range_is_a_206_of_those_bytes(
    client: Client, picture: str, header: str, start: int, end: int
) -> None:
    response = client.get(picture, headers={"Range": header})
    assert response.status_code == 206
    assert _body(response) == CONTENT[start : end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{SIZE}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Content-Type"] == "image/jpeg"
    assert response["ETag"]


@pytest.mark.parametrize("header", [f"bytes={SIZE}-", f"bytes={SIZE + 10}-{SIZE + 20}", "bytes=-0"])
def test_a_range_beyond_the_end_is_416(client: Client, picture: str, header: str) -> None:
    response = client.get(picture, headers={"Range": header})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{SIZE}"
    assert CONTENT not in response.content


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-9,20-29",  # several ranges: not offered, the whole file instead
        "bytes=0-9, -5",
        "bytes=20-10",  # last before first: not a valid range, ignored
        "bytes=abc-",
        "bytes=-",
        "bytes=1.5-2",
        "items=0-9",  # a unit we do not know
        "bytes 0-9",
        "bytes=" + "9" * 300,
        "bytes=٣-٤",  # digits, but not ASCII ones
    ],
)
def test_ranges_we_do_not_serve_get_the_whole_file(
    client: Client, picture: str, header: str
) -> None:
    response = client.get(picture, headers={"Range": header})
    assert response.status_code == 200
    assert _body(response) == CONTENT
    assert "Content-Range" not in response


def test_if_range_with_the_current_etag_gives_the_range(client: Client, picture: str) -> None:
    etag = client.get(picture)["ETag"]
    ranged = client.get(picture, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert ranged.status_code == 206 and _body(ranged) == CONTENT[:10]


def test_if_range_with_an_old_validator_gives_the_whole_new_file(
    client: Client, picture: str, media_root: Path
) -> None:
    old = client.get(picture)
    path = media_root / "images" / "harbour.fill-300x200.jpg"
    path.write_bytes(CONTENT[::-1])
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    for condition in (old["ETag"], old["Last-Modified"]):
        response = client.get(picture, headers={"Range": "bytes=0-9", "If-Range": condition})
        assert response.status_code == 200
        assert _body(response) == CONTENT[::-1]


def test_conditional_get_answers_304_without_a_body(client: Client, picture: str) -> None:
    first = client.get(picture)
    by_etag = client.get(picture, headers={"If-None-Match": first["ETag"]})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag["ETag"] == first["ETag"]
    assert by_etag["Cache-Control"] == first["Cache-Control"]
    by_date = client.get(picture, headers={"If-Modified-Since": first["Last-Modified"]})
    assert by_date.status_code == 304
    other = client.get(picture, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200 and _body(other) == CONTENT


def test_a_changed_file_is_sent_again(client: Client, picture: str, media_root: Path) -> None:
    first = client.get(picture)
    path = media_root / "images" / "harbour.fill-300x200.jpg"
    path.write_bytes(b"new picture")
    os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 5))
    again = client.get(
        picture,
        headers={"If-None-Match": first["ETag"], "If-Modified-Since": first["Last-Modified"]},
    )
    assert again.status_code == 200
    assert _body(again) == b"new picture"
    assert again["ETag"] != first["ETag"]


def test_a_file_from_the_future_is_not_304_for_an_older_date(client: Client, picture: str) -> None:
    response = client.get(picture, headers={"If-Modified-Since": http_date(0)})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/media/../settings.py",
        "/media/%2e%2e/settings.py",
        "/media/%2E%2E%2Fsettings.py",
        "/media/images/..%2f..%2fsettings.py",
        "/media/images/%2e%2e/%2e%2e/settings.py",
        "/media//etc/passwd",
        "/media/%2fetc%2fpasswd",
        "/media/images/harbour.fill-300x200.jpg%00.txt",
        "/media/./images/harbour.fill-300x200.jpg",
        "/media/images/.hidden",
    ],
)
def test_nothing_outside_media_is_served(client: Client, media_root: Path, path: str) -> None:
    (media_root / "images" / ".hidden").write_text("hidden")
    response = client.get(path)
    assert response.status_code == 404
    assert b"outside media" not in response.content
    assert b"root:" not in response.content


def test_a_symlink_out_of_media_is_not_followed(client: Client, media_root: Path) -> None:
    (media_root / "images" / "link.txt").symlink_to(media_root.parent / "settings.py")
    assert client.get("/media/images/link.txt").status_code == 404


@pytest.mark.parametrize("path", ["/media/", "/media/images", "/media/images/", "/media/nope.jpg"])
def test_folders_and_missing_files_are_404(client: Client, media_root: Path, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert b"harbour" not in response.content  # no folder listing


def test_documents_are_only_served_through_wagtails_view(client: Client, media_root: Path) -> None:
    """A private collection's documents are checked at /documents/; /media/ must not skip it."""
    (media_root / "documents").mkdir()
    (media_root / "documents" / "minutes.pdf").write_bytes(b"%PDF-1.4 private")
    assert client.get("/media/documents/minutes.pdf").status_code == 404


def test_an_unknown_kind_of_file_is_not_guessed_at(client: Client, media_root: Path) -> None:
    (media_root / "images" / "upload.weird").write_bytes(b"<script>alert(1)</script>")
    (media_root / "images" / "notes.txt.gz").write_bytes(b"\x1f\x8b...")
    unknown = client.get("/media/images/upload.weird")
    assert unknown["Content-Type"] == "application/octet-stream"
    assert unknown["X-Content-Type-Options"] == "nosniff"
    assert client.get("/media/images/notes.txt.gz")["Content-Type"] == "application/gzip"


def test_an_empty_file_has_no_satisfiable_range(client: Client, media_root: Path) -> None:
    (media_root / "images" / "empty.jpg").write_bytes(b"")
    assert client.get("/media/images/empty.jpg").status_code == 200
    ranged = client.get("/media/images/empty.jpg", headers={"Range": "bytes=0-"})
    assert ranged.status_code == 416
    assert ranged["Content-Range"] == "bytes */0"


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, RangeAnswer.WHOLE),
        ("bytes=0-0", 10, ByteRange(0, 0)),
        ("bytes=9-", 10, ByteRange(9, 9)),
        ("bytes=-1", 10, ByteRange(9, 9)),
        ("bytes=-20", 10, ByteRange(0, 9)),
        ("bytes=10-", 10, RangeAnswer.UNSATISFIABLE),
        ("bytes=-5", 0, RangeAnswer.UNSATISFIABLE),
        ("bytes=3-1", 10, RangeAnswer.WHOLE),
        ("bytes=1-2,4-5", 10, RangeAnswer.WHOLE),
    ],
)
def test_requested_range(header: str | None, size: int, expected: object) -> None:
    assert requested_range(header, size) == expected
