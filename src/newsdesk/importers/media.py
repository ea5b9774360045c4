"""Finding the files behind an export's image addresses, and checking that they are pictures.

An export holds addresses, not files: ``https://old.example/wp-content/uploads/2024/06/a.jpg``,
``__GHOST_URL__/content/images/2024/06/a.jpg``, a CDN's URL for Substack. Each is looked for

1. in the ``--media`` folder, when one is given: the address's path after
   ``wp-content/uploads/`` (WordPress), ``content/images/`` (Ghost) or ``/media/`` (newsdesk's
   own exports: MEDIA_URL), else its whole path,
   under the folder, never outside it (``..`` and symbolic links out of it are refused);
2. else, with ``--fetch-images``, downloaded over HTTP(S), up to the size limit;
3. else not at all: the body keeps a link to the address (``newsdesk.importers.figures``).

A file found is accepted only if Pillow reads it as JPEG, PNG, GIF, WebP or AVIF within the
size and pixel limits of Wagtail's own uploads; SVG is refused (it can carry scripts). This
module only reads: writing the images is ``news.services.image_get_or_create``.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.utils.text import slugify
from PIL import Image, UnidentifiedImageError

# Where each platform's exports put their uploads, as the path of an address.
UPLOAD_FOLDERS = ("/wp-content/uploads/", "/content/images/")
# Ghost writes its own site's address as this placeholder in exports.
GHOST_URL = "__GHOST_URL__"
ACCEPTED_FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "AVIF": "avif"}
FETCH_TIMEOUT_SECONDS = 20.0
USER_AGENT = "newsdesk-import (+https://github.com/newsdesk)"


def max_image_bytes() -> int:
    """Wagtail's upload limit, so that an import takes nothing an editor could not upload."""
    return int(getattr(settings, "WAGTAILIMAGES_MAX_UPLOAD_SIZE", 10 * 1024 * 1024))


def max_image_pixels() -> int:
    return int(getattr(settings, "WAGTAILIMAGES_MAX_IMAGE_PIXELS", 128_000_000))


@dataclass(frozen=True)
class ImageOptions:
    """Where the files of a run's image addresses may come from."""

    media: Path | None = None
    fetch: bool = False

    @property
    def any(self) -> bool:
        return self.media is not None or self.fetch


@dataclass(frozen=True)
class FoundImage:
    """A checked picture file: its content's SHA-1 (Wagtail's ``file_hash``), the name to
    store it under, and a title for the library."""

    path: Path
    sha1: str
    name: str
    title: str


class ImageRefused(Exception):
    """A file that is not taken as an image; the message is the reason, for the report."""


def _address_path(address: str) -> str:
    """The path part of an address, decoded (``%20`` -> space)."""
    if address.startswith(GHOST_URL):
        address = address[len(GHOST_URL) :]
    return unquote(urlsplit(address).path)


def media_relative_path(address: str) -> str:
    """Where an address's file lies in a ``--media`` folder (see the module's docstring)."""
    path = _address_path(address)
    # newsdesk's own exports point at this site's media folder.
    for folder in (*UPLOAD_FOLDERS, settings.MEDIA_URL):
        if folder in path:
            return path.split(folder, 1)[1]
    return path.lstrip("/")


def _in_media(media: Path, address: str) -> Path:
    relative = media_relative_path(address)
    if not relative or "\x00" in relative:
        raise ImageRefused("its address names no file")
    root = media.resolve()
    candidate = (root / relative).resolve()
    # After resolve(): ``..`` and symbolic links are followed, so one leading out is seen.
    if not candidate.is_relative_to(root):
        raise ImageRefused("its address leads outside the --media folder")
    if not candidate.is_file():
        raise ImageRefused("not found in the --media folder")
    return candidate


class _NoRedirectAcrossSchemes(urllib.request.HTTPRedirectHandler):
    """Follow redirects between http and https only (never to file: or ftp:)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urlsplit(newurl).scheme not in {"http", "https"}:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_opener = urllib.request.build_opener(_NoRedirectAcrossSchemes())


def _download(address: str, into: Path) -> Path:
    limit = max_image_bytes()
    if urlsplit(address).scheme not in {"http", "https"}:
        raise ImageRefused("only http and https addresses are downloaded")
    request = urllib.request.Request(address, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with _opener.open(request, timeout=FETCH_TIMEOUT_SECONDS) as response:
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > limit:
                raise ImageRefused(f"larger than the limit of {limit:,} bytes")
            data = response.read(limit + 1)
    except urllib.error.HTTPError as exc:
        raise ImageRefused(f"could not be downloaded (HTTP {exc.code})") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ImageRefused(f"could not be downloaded ({reason})") from None
    if len(data) > limit:
        raise ImageRefused(f"larger than the limit of {limit:,} bytes")
    target = into / hashlib.sha1(address.encode(), usedforsecurity=False).hexdigest()
    target.write_bytes(data)
    return target


def checked_format(path: Path) -> str:
    """The file's format as Pillow reads it, if it is one a page may show; else ImageRefused."""
    limit = max_image_bytes()
    size = path.stat().st_size
    if size > limit:
        raise ImageRefused(f"larger than the limit of {limit:,} bytes")
    with path.open("rb") as handle:
        start = handle.read(512).lstrip().lower()
    if start.startswith((b"<svg", b"<?xml", b"<!doctype svg")) or b"<svg" in start:
        raise ImageRefused("SVG is not accepted as an image (it can carry scripts)")
    try:
        with warnings.catch_warnings():
            # Pillow only warns below twice its own limit; ours is checked just after.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as picture:
                format_name = str(picture.format)
                width, height = picture.size
                picture.verify()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageRefused(f"more than {max_image_pixels():,} pixels") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageRefused("not a picture file that can be read") from None
    if format_name not in ACCEPTED_FORMATS:
        raise ImageRefused(f"{format_name} pictures are not accepted (JPEG, PNG, GIF, WebP, AVIF)")
    if width * height > max_image_pixels():
        raise ImageRefused(f"more than {max_image_pixels():,} pixels")
    return format_name


def _file_name(address: str, format_name: str) -> str:
    """A plain file name for storage, with the extension of the format found inside."""
    stem = Path(_address_path(address)).stem
    return f"{slugify(stem)[:80] or 'image'}.{ACCEPTED_FORMATS[format_name]}"


def _sha1(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


class ImageFinder:
    """Looks up each address once per run; fetched files live in ``workdir`` until it ends."""

    def __init__(self, options: ImageOptions, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self._found: dict[str, FoundImage | ImageRefused | None] = {}

    def find(self, address: str, *, title: str = "") -> FoundImage | ImageRefused | None:
        """The checked file, the reason it was refused, or None when no source was given
        for it (it stays a link)."""
        if address not in self._found:
            self._found[address] = self._look(address, title)
        return self._found[address]

    def _look(self, address: str, title: str) -> FoundImage | ImageRefused | None:
        absolute = urlsplit(address).scheme in {"http", "https"}
        try:
            if self.options.media is not None:
                try:
                    path = _in_media(self.options.media, address)
                except ImageRefused:
                    if not (self.options.fetch and absolute):
                        raise
                    path = _download(address, self.workdir)
            elif self.options.fetch and absolute:
                path = _download(address, self.workdir)
            else:
                return None
            format_name = checked_format(path)
        except ImageRefused as refused:
            return refused
        name = _file_name(address, format_name)
        return FoundImage(
            path=path,
            sha1=_sha1(path),
            name=name,
            title=(title or Path(name).stem.replace("-", " "))[:255],
        )

    def find_all(
        self,
        addresses: list[tuple[str, str]],
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Look up every (address, title) once, reporting ``(done, total)`` as it goes."""
        distinct = list(dict.fromkeys(address for address, _ in addresses))
        titles = dict(reversed(addresses))  # the first title given for each address
        for done, address in enumerate(distinct, start=1):
            self.find(address, title=titles.get(address, ""))
            if on_progress:
                on_progress(done, len(distinct))
