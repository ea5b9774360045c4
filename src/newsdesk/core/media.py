"""Uploaded media (MEDIA_ROOT) served the way whitenoise serves static files.

Whitenoise itself cannot: it indexes its folders when the process starts, and images are
uploaded while it runs. So this view gives media what static files get: ``Range`` requests
(video and audio players, resumed downloads), ``ETag``/``Last-Modified`` with 304 answers,
caching headers, a content type with ``nosniff``, and the strict policy of static files (an
uploaded file opened on its own may run nothing). Behind nginx, serving MEDIA_ROOT from there
is still cheaper (docs/deploy.md).
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

from newsdesk.core.byte_ranges import ByteRange, RangeAnswer, requested_range
from newsdesk.core.static_headers import STATIC_PERMISSIONS, STATIC_POLICY

# A day. Wagtail names a rendition after the original's file name and the filter, not after
# its content, so an image replaced under the same name can reuse a rendition's URL: the name
# is not a promise that the bytes never change (no "immutable", no year as for static files).
# After a day a browser asks again and the ETag makes that a 304 without a body.
MAX_AGE_SECONDS = 24 * 60 * 60
CHUNK_BYTES = 64 * 1024
# Documents are stored under MEDIA_ROOT too, but Wagtail serves them at /documents/ through a
# view that checks a collection's privacy; a direct /media/documents/ URL would skip that check.
PRIVATE_FOLDERS = frozenset({"documents"})
_ENCODED = {"gzip": "application/gzip", "bzip2": "application/x-bzip2", "xz": "application/x-xz"}


def media_file(relative: str) -> Path | None:
    """The regular file at ``relative`` under MEDIA_ROOT, or None (missing, a folder, hidden,
    private, or anywhere outside MEDIA_ROOT by ``..``, an absolute path or a symlink)."""
    parts = relative.split("/")
    if "\x00" in relative or any(part in {"", ".", ".."} or part.startswith(".") for part in parts):
        return None
    if parts[0] in PRIVATE_FOLDERS:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        path = root.joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _chunks(handle: BinaryIO, wanted: ByteRange) -> Iterator[bytes]:
    """The range's bytes; the file is closed when the response is (generator close)."""
    try:
        handle.seek(wanted.start)
        left = wanted.length
        while left > 0:
            chunk = handle.read(min(CHUNK_BYTES, left))
            if not chunk:
                return  # the file shrank while being sent; the client sees a short body
            left -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _content_type(name: str) -> str:
    content_type, encoding = mimetypes.guess_type(name)
    if encoding:  # notes.txt.gz is a gzip file to a browser, not text it should unpack
        return _ENCODED.get(encoding, "application/octet-stream")
    return content_type or "application/octet-stream"


def _range_applies(request: HttpRequest, etag: str, last_modified: int) -> bool:
    """``If-Range``: a range of the file the client has, else the whole of the one we have."""
    condition = request.headers.get("If-Range")
    if condition is None:
        return True
    if condition.startswith('"'):
        return condition == etag
    return parse_http_date_safe(condition) == last_modified


@require_safe
def media_serve(request: HttpRequest, path: str) -> HttpResponseBase:
    found = media_file(path)
    if found is None:
        raise Http404("No such media file")
    stat = found.stat()
    size = stat.st_size
    etag = f'"{stat.st_mtime_ns:x}-{size:x}"'
    last_modified = int(stat.st_mtime)
    headers = {
        "ETag": etag,
        "Last-Modified": http_date(last_modified),
        "Cache-Control": f"public, max-age={MAX_AGE_SECONDS}",
        "Accept-Ranges": "bytes",
        "Content-Security-Policy": STATIC_POLICY,
        "Permissions-Policy": STATIC_PERMISSIONS,
        "X-Content-Type-Options": "nosniff",
    }
    # Django's own rules for If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since;
    # a 304 carries the caching headers of the response it stands for. It hands back the
    # response given when no condition decides, and then the file is sent.
    headers_only = HttpResponse(headers=headers)
    answered = get_conditional_response(
        request, etag=etag, last_modified=last_modified, response=headers_only
    )
    if answered is not None and answered is not headers_only:
        return answered
    content_type = _content_type(found.name)
    wanted = (
        requested_range(request.headers.get("Range"), size)
        if _range_applies(request, etag, last_modified)
        else RangeAnswer.WHOLE
    )
    if wanted is RangeAnswer.UNSATISFIABLE:
        headers["Content-Range"] = f"bytes */{size}"
        return HttpResponse(
            b"Range not satisfiable\n", status=416, headers=headers, content_type="text/plain"
        )
    handle = found.open("rb")
    if isinstance(wanted, ByteRange):
        headers["Content-Range"] = wanted.content_range(size)
        headers["Content-Length"] = str(wanted.length)
        return StreamingHttpResponse(
            _chunks(handle, wanted), status=206, headers=headers, content_type=content_type
        )
    # FileResponse sets Content-Length and lets the server send the file itself where it can.
    return FileResponse(handle, headers=headers, content_type=content_type)
