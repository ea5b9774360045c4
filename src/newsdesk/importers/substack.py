"""Substack's export: the ZIP archive from Settings → Exports ("Create new export").

The archive holds ``posts.csv`` (one row per post: ``post_id`` as ``<number>.<slug>``,
``post_date``, ``is_published``, ``type``, ``audience``, ``title``, ``subtitle``, …), a
``posts/`` folder with each post's body as ``<post_id>.html``, and ``email_list.<name>.csv``
(``email``, ``active_subscription``, ``expiry``, ``plan``, ``email_disabled``, ``created_at``, …).

The archive is read in place, never unpacked to disk, and checked whole before anything is
parsed: a member with an absolute path, ``..``, a symbolic link or encryption, more than
``MAX_ARCHIVE_MEMBERS`` members or more than ``MAX_UNPACKED_BYTES`` unpacked (a ZIP bomb) is
refused. Every member is also read with a bound, so a header that lies about its size cannot
make one read more.

Substack's list holds its current subscribers: ``active_subscription`` tells a paying reader
from a free one (both get the newsletter), ``email_disabled`` an address that bounced.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath

from newsdesk.importers.base import (
    MAX_ARTICLES,
    MAX_BODY_CHARS,
    MAX_DEK_CHARS,
    MAX_FILE_BYTES,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    check_body,
    clean_date,
    clean_id,
    clean_line,
    clean_slug,
    platform_body,
)
from newsdesk.news.services import ArticleInput
from newsdesk.newsletter.subscriptions.addresses import InvalidAddress
from newsdesk.newsletter.subscriptions.member_imports import (
    MAX_NOTE_CHARS,
    ImportedMember,
    MemberState,
    member_address,
)

SOURCE = "substack"
PLATFORM = "Substack"
MAX_ARCHIVE_MEMBERS = 20_000
MAX_UNPACKED_BYTES = 1024**3
# A list of a million readers is about 100 MB of CSV; posts.csv and a post's HTML are far less.
MAX_LIST_BYTES = 512 * 1024 * 1024
# Substack's audiences for posts only paying readers may read.
_PAID_AUDIENCES = frozenset({"only_paid", "founding"})
_TRUE = frozenset({"true", "t", "1", "yes"})
_TAG = re.compile(r"<[^>]*>")
_DRIVE = re.compile(r"^[A-Za-z]:")
# Substack's own furniture in a body: its subscribe and share buttons and signup boxes.
_FURNITURE_CLASSES = frozenset(
    {
        "button-wrapper",
        "subscription-widget-wrap",
        "subscription-widget-wrap-editor",
        "subscribe-widget",
        "share-dialog",
    }
)


def looks_like_substack(path: Path) -> bool:
    """A regular file that is a ZIP archive with a ``posts.csv`` (the full check is the
    parse). Pipes are not sniffed: a ZIP is read from its end, which a pipe cannot do."""
    try:
        if not path.is_file():
            return False
        with zipfile.ZipFile(path) as archive:
            return _posts_csv_name(archive.namelist()) is not None
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def _posts_csv_name(names: list[str]) -> str | None:
    """``posts.csv`` at the top, or in the one folder some unzip-and-rezip tools add."""
    found = [n for n in names if PurePosixPath(n).name == "posts.csv" and n.count("/") <= 1]
    return min(found, key=len) if found else None


def _checked_archive(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportFailure(path, None, "not a ZIP archive (or a damaged one)") from None
    except OSError as exc:
        raise ImportFailure(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    try:
        infos = archive.infolist()
        if len(infos) > MAX_ARCHIVE_MEMBERS:
            raise ImportFailure(
                path,
                None,
                f"refused: the archive has {len(infos):,} members; the limit is "
                f"{MAX_ARCHIVE_MEMBERS:,}",
            )
        unpacked = sum(info.file_size for info in infos)
        if unpacked > MAX_UNPACKED_BYTES:
            raise ImportFailure(
                path,
                None,
                f"refused: the archive unpacks to {unpacked:,} bytes; the limit is "
                f"{MAX_UNPACKED_BYTES:,} (1 GiB)",
            )
        for info in infos:
            _check_member(path, info)
    except BaseException:
        archive.close()
        raise
    return archive


def _check_member(path: Path, info: zipfile.ZipInfo) -> None:
    name = info.filename
    shown = repr(name[:120])
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise ImportFailure(path, None, f"refused: the archive member {shown} has an absolute path")
    if ".." in re.split(r"[/\\]", name):
        raise ImportFailure(path, None, f"refused: the archive member {shown} climbs out with ..")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ImportFailure(path, None, f"refused: the archive member {shown} is a symbolic link")
    if info.flag_bits & 0x1:
        raise ImportFailure(path, None, f"refused: the archive member {shown} is encrypted")


def _read_member(path: Path, archive: zipfile.ZipFile, name: str, limit: int) -> str:
    """One member as text, read no further than ``limit`` bytes whatever its header says."""
    where = f"{path} ({name})"
    try:
        with archive.open(name) as handle:
            raw = handle.read(limit + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        # zlib errors, bad CRCs and unsupported compression methods all land here.
        raise ImportFailure(where, None, f"cannot be unpacked: {exc}") from None
    if len(raw) > limit:
        raise ImportFailure(where, None, f"is longer than the limit of {limit:,} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ImportFailure(where, line, "is not UTF-8 text") from None


class _FurnitureRemover(HTMLParser):
    """The body without Substack's buttons and signup boxes (elements with their classes).

    The sanitiser would drop their tags but keep their text ("Subscribe now", "Thanks for
    reading! Subscribe for free…"), which on newsdesk would be a dead call to action.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.dropped = 0
        self._skip_depth = 0  # > 0 while inside a dropped element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip_depth:
            self._skip_depth += tag not in _VOID
            return
        classes = set((dict(attrs).get("class") or "").split())
        if classes & _FURNITURE_CLASSES and tag not in _VOID:
            self._skip_depth = 1
            self.dropped += 1
            return
        self.out.append(self.get_starttag_text() or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip_depth:
            self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            self._skip_depth -= tag not in _VOID
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self._skip_depth:
            self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self._skip_depth:
            self.out.append(f"&#{name};")


_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
)


def _body(raw: str, notes: Counter[str]) -> str:
    remover = _FurnitureRemover()
    remover.feed(raw)
    remover.close()
    if remover.dropped:
        notes["Substack button or signup box left out"] += remover.dropped
    return platform_body("".join(remover.out))


def _plain(text: str | None) -> str:
    return " ".join(_TAG.sub(" ", text or "").split())


def parse_substack(
    path: Path, text: str | None = None, *, include_private: bool = False
) -> ParsedFile:
    """Every post and subscriber of the archive, checked; raises ``ImportFailure``."""
    with _checked_archive(path) as archive:
        names = archive.namelist()
        posts_name = _posts_csv_name(names)
        if posts_name is None:
            raise ImportFailure(
                path, None, "not a Substack export: the archive has no posts.csv at its top"
            )
        folder = posts_name[: -len("posts.csv")]
        notes: Counter[str] = Counter()
        articles = _posts(path, archive, folder, set(names), notes)
        refused: Counter[tuple[str, str]] = Counter()
        members: list[ImportedMember] = []
        lists = sorted(
            n
            for n in names
            if n.startswith(folder)
            and "/" not in n[len(folder) :]
            and PurePosixPath(n).name.startswith("email_list")
            and n.endswith(".csv")
        )
        for list_name in lists:
            members.extend(_members(path, archive, list_name, refused))
    return ParsedFile(
        path=path,
        format="substack",
        articles=articles,
        members=members,
        platform=PLATFORM,
        notes=notes,
        refused=refused,
    )


def _rows(path: Path, text: str, name: str, required: set[str]) -> csv.DictReader[str]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = set(reader.fieldnames or [])
    missing = required - header
    if missing:
        raise ImportFailure(
            f"{path} ({name})", 1, f"the header lacks the column(s) {', '.join(sorted(missing))}"
        )
    return reader


def _posts(
    path: Path, archive: zipfile.ZipFile, folder: str, names: set[str], notes: Counter[str]
) -> list[ArticleInput]:
    name = f"{folder}posts.csv"
    text = _read_member(path, archive, name, MAX_FILE_BYTES)
    reader = _rows(path, text, name, {"post_id", "title"})
    where = f"{path} ({name})"
    articles: list[ArticleInput] = []
    seen: set[str] = set()
    try:
        for row in reader:
            line = reader.line_num
            article = _post(path, archive, folder, names, row, line, notes)
            if article is None:
                continue
            if article.external_id in seen:
                raise ImportFailure(where, line, f"post {article.external_id} appears twice")
            seen.add(article.external_id)
            articles.append(article)
            if len(articles) > MAX_ARTICLES:
                raise ImportFailure(where, line, f"more than {MAX_ARTICLES:,} posts")
    except csv.Error as exc:
        raise ImportFailure(where, reader.line_num, f"malformed CSV: {exc}") from None
    return articles


def _post(
    path: Path,
    archive: zipfile.ZipFile,
    folder: str,
    names: set[str],
    row: dict[str, str],
    line: int,
    notes: Counter[str],
) -> ArticleInput | None:
    where = f"{path} ({folder}posts.csv)"
    raw_id = (row.get("post_id") or "").strip()
    number, _, slug_part = raw_id.partition(".")
    if not number.isdigit():
        raise ImportFailure(where, line, f"'post_id' is not <number>.<slug>: {raw_id[:40]!r}")
    post_type = (row.get("type") or "newsletter").strip()
    if post_type == "thread":
        notes["discussion thread not imported"] += 1
        return None
    if post_type not in {"newsletter", "podcast"}:
        notes[f"{post_type[:20]} post skipped"] += 1
        return None
    if post_type == "podcast":
        notes["podcast imported without its audio"] += 1
    html_name = f"{folder}posts/{raw_id}.html"
    if html_name not in names:
        notes["post without its HTML file in the archive not imported"] += 1
        return None
    raw = _read_member(path, archive, html_name, MAX_BODY_CHARS * 4)
    if len(raw) > MAX_BODY_CHARS:
        raise ImportFailure(
            f"{path} ({html_name})", None, f"body is longer than {MAX_BODY_CHARS:,} characters"
        )
    body = _body(raw, notes)
    if not _plain(body):
        notes["post with no body text not imported"] += 1
        return None
    live = (row.get("is_published") or "").strip().lower() in _TRUE
    if live and (row.get("audience") or "").strip() in _PAID_AUDIENCES:
        notes["paid-only post imported as a draft"] += 1
        live = False
    title = _plain(row.get("title")) or f"Untitled Substack post {number}"
    dek = _plain(row.get("subtitle"))
    if len(dek) > MAX_DEK_CHARS:
        notes["subtitle shortened to fit the standfirst"] += 1
        dek = dek[: MAX_DEK_CHARS - 1].rsplit(" ", 1)[0] + "…"
    date = clean_date(row.get("post_date") or None, field="post_date", path=where, line=line)
    slug = clean_slug(slug_part, path=where, line=line)
    return ArticleInput(
        title=clean_line(title, field="title", path=where, line=line, limit=MAX_TITLE_CHARS),
        dek=dek,
        slug=slug,
        body_html=check_body(body, path=where, line=line),
        published_at=date if live else None,
        source=SOURCE,
        external_id=clean_id(number, path=where, line=line),
        wanted_live=live,
        # Substack's addresses of a post are /p/<slug>.
        old_paths=(f"/p/{slug}",) if slug else (),
    )


def _members(
    path: Path, archive: zipfile.ZipFile, name: str, refused: Counter[tuple[str, str]]
) -> list[ImportedMember]:
    where = f"{path} ({name})"
    text = _read_member(path, archive, name, MAX_LIST_BYTES)
    reader = _rows(path, text, name, {"email"})
    members: list[ImportedMember] = []
    try:
        for row in reader:
            try:
                address = member_address(row.get("email") or "")
            except InvalidAddress:
                refused[("subscribers", "not a valid email address")] += 1
                continue
            bounced = (row.get("email_disabled") or "").strip().lower() in _TRUE
            paying = (row.get("active_subscription") or "").strip().lower() in _TRUE
            plan = _plain(row.get("plan"))
            note = f"Substack paid subscriber ({plan or 'plan unknown'})" if paying else ""
            try:
                created = clean_date(
                    row.get("created_at") or None, field="created_at", path=where, line=None
                )
            except ImportFailure:
                created = None  # a reader is not refused for a stray date: the import's stands
            members.append(
                ImportedMember(
                    address=address,
                    state=MemberState.BOUNCED if bounced else MemberState.SUBSCRIBED,
                    created_at=created,
                    note=note[:MAX_NOTE_CHARS],
                )
            )
    except csv.Error as exc:
        raise ImportFailure(where, reader.line_num, f"malformed CSV: {exc}") from None
    return members
