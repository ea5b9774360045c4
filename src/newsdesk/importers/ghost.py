"""Ghost's JSON export (Settings → Advanced → Import/Export → Export content), Ghost 4 to 6.

The file is one JSON document, ``{"db": [{"meta": …, "data": {table: [rows]}}]}`` (older
exports drop the ``db`` list), holding Ghost's tables: posts (and pages), tags, users, the
tables joining them, and the members with their newsletters and labels. Posts become articles,
pages plain pages, public tags topics, users authors, and members newsletter subscribers.

What each post keeps: Ghost's status (published and scheduled go live, or wait for their date;
drafts, and posts only sent by email, stay drafts), and its visibility: a members-only or paid
post arrives as a draft, since the site has no paywall to keep it behind.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsdesk.importers.base import (
    MAX_ALT_CHARS,
    MAX_ARTICLES,
    MAX_BIO_CHARS,
    MAX_BODY_CHARS,
    MAX_DEK_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_NAMES,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    check_body,
    clean_date,
    clean_id,
    clean_line,
    clean_names,
    clean_slug,
    platform_body,
    read_text,
)
from newsdesk.importers.ghost_body import DocumentError, lexical_to_html, mobiledoc_to_html
from newsdesk.news.services import ArticleInput, AuthorInput
from newsdesk.newsletter.subscriptions.addresses import InvalidAddress
from newsdesk.newsletter.subscriptions.member_imports import (
    MAX_NAME_CHARS,
    MAX_NOTE_CHARS,
    ImportedMember,
    MemberState,
    member_address,
)

SOURCE = "ghost"
PLATFORM = "Ghost"
# How much of a file is read to tell a Ghost export from another JSON file.
_SNIFF_BYTES = 4096
_TAG = re.compile(r"<[^>]*>")
_PUBLIC = {"public", ""}


def looks_like_ghost(path: Path) -> bool:
    """A regular file holding a JSON object whose first keys are Ghost's (``db``, or ``meta``
    and ``data``). Pipes are not sniffed: what is read from them to look could not be read
    again, and the import would wait for a writer that has gone."""
    try:
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            start = handle.read(_SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return start.startswith(b"{") and (b'"db"' in start or b'"exported_on"' in start)


def _plain(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join(html_lib.unescape(_TAG.sub(" ", text)).split())


class _Tables:
    """The export's tables, each a list of row objects, checked as they are asked for."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def rows(self, name: str) -> list[dict[str, Any]]:
        rows = self.data.get(name, [])
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ImportFailure(self.path, None, f"'data.{name}' must be a list of objects")
        return rows

    def has(self, name: str) -> bool:
        return name in self.data

    def links(self, name: str, left: str, right: str) -> dict[str, list[str]]:
        """A joining table (posts_tags) as left id → right ids, in Ghost's sort order."""
        rows = sorted(self.rows(name), key=lambda row: _sort_order(row.get("sort_order")))
        joined: dict[str, list[str]] = defaultdict(list)
        for row in rows:
            joined[str(row.get(left))].append(str(row.get(right)))
        return joined


def _sort_order(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _load(path: Path) -> _Tables:
    text = read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailure(
            path, exc.lineno, f"not valid JSON: {exc.msg} (column {exc.colno})"
        ) from None
    except (ValueError, RecursionError):
        # ValueError: a number of more than 4,300 digits; RecursionError: nesting thousands deep.
        raise ImportFailure(path, None, "not a JSON document Ghost writes") from None
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ImportFailure(
            path,
            None,
            'not a Ghost export: expected {"db": [{"meta": …, "data": {"posts": …}}]} '
            "(export it in Ghost under Settings → Advanced → Import/Export → Export content)",
        )
    return _Tables(path, document["data"])


def parse_ghost(
    path: Path, text: str | None = None, *, include_private: bool = False
) -> ParsedFile:
    """Every post, page and member of the export, checked; raises ``ImportFailure``."""
    tables = _load(path)
    notes: Counter[str] = Counter()
    refused: Counter[tuple[str, str]] = Counter()
    users = {str(row.get("id")): _plain(row.get("name")) for row in tables.rows("users")}
    authors = [_author(path, row) for row in tables.rows("users") if _plain(row.get("name"))]
    tags = _public_tags(tables.rows("tags"), notes)
    post_tags = tables.links("posts_tags", "post_id", "tag_id")
    post_authors = tables.links("posts_authors", "post_id", "author_id")
    posts_meta = {str(row.get("post_id")): row for row in tables.rows("posts_meta")}
    articles: list[ArticleInput] = []
    pages: list[ArticleInput] = []
    posts = tables.rows("posts")
    if len(posts) > MAX_ARTICLES:
        raise ImportFailure(path, None, f"more than {MAX_ARTICLES:,} posts; import in batches")
    seen: set[str] = set()
    for index, post in enumerate(posts):
        where = f"post {index + 1} (id {str(post.get('id'))[:40]})"
        try:
            post = _with_meta(post, posts_meta.get(str(post.get("id"))))
            item = _post(path, post, notes, users, tags, post_tags, post_authors)
        except ImportFailure as failure:
            raise ImportFailure(path, None, f"{where}: {failure.message}") from None
        except DocumentError as error:
            raise ImportFailure(path, None, f"{where}: {error}") from None
        if item is None:
            continue
        article, is_page = item
        if article.external_id in seen:
            raise ImportFailure(path, None, f"{where}: a second post with this id")
        seen.add(article.external_id)
        (pages if is_page else articles).append(article)
    if not posts and not tables.has("members"):
        raise ImportFailure(path, None, "the export holds no posts and no members")
    members = _members(tables, refused)
    return ParsedFile(
        path=path,
        format="ghost",
        articles=articles,
        pages=pages,
        members=members,
        authors=[author for author in authors if author.bio or author.photo_url],
        platform=PLATFORM,
        notes=notes,
        refused=refused,
    )


def _public_tags(rows: Iterable[dict[str, Any]], notes: Counter[str]) -> dict[str, str]:
    """Tag id → name, for the tags readers see; Ghost's internal tags (``#name``) organise the
    newsroom's work and are not topics."""
    public: dict[str, str] = {}
    for row in rows:
        name = _plain(row.get("name"))
        if not name:
            continue
        if name.startswith("#") or row.get("visibility") == "internal":
            notes["internal tag not made a topic"] += 1
            continue
        public[str(row.get("id"))] = name[:80]
    return public


def _wanted_live(post: dict[str, Any], notes: Counter[str]) -> bool | None:
    """True to publish (a future date schedules), False for a draft, None to leave out."""
    status = post.get("status")
    visibility = post.get("visibility") or "public"
    if status in {"published", "scheduled"} and visibility not in _PUBLIC:
        notes["members-only post imported as a draft"] += 1
        return False
    if status in {"published", "scheduled"}:
        return True
    if status == "sent":
        notes["email-only post imported as a draft"] += 1
        return False
    if status == "draft":
        return False
    notes[f"post with the status {str(status)[:20]!r} skipped"] += 1
    return None


def _body(path: Path, post: dict[str, Any], notes: Counter[str]) -> str:
    raw = post.get("html")
    if not isinstance(raw, str) or not raw.strip():
        lexical, mobiledoc = post.get("lexical"), post.get("mobiledoc")
        if isinstance(lexical, str) and lexical.strip():
            raw = lexical_to_html(lexical, notes)
        elif isinstance(mobiledoc, str) and mobiledoc.strip():
            raw = mobiledoc_to_html(mobiledoc, notes)
        else:
            raw = ""
    if len(raw) > MAX_BODY_CHARS:
        raise ImportFailure(path, None, f"body is longer than {MAX_BODY_CHARS:,} characters")
    return platform_body(raw)


def _author(path: Path, user: dict[str, Any]) -> AuthorInput:
    """A staff user's bio and profile picture (``profile_image``, an address like a post's
    pictures), for the author of that name."""
    where = f"user {str(user.get('id'))[:40]}"
    try:
        bio = clean_line(
            _plain(user.get("bio")), field="bio", path=path, line=None, limit=MAX_BIO_CHARS
        )
    except ImportFailure as failure:
        raise ImportFailure(path, None, f"{where}: {failure.message}") from None
    photo = user.get("profile_image")
    return AuthorInput(
        name=_plain(user.get("name"))[:120],
        bio=bio,
        photo_url=photo.strip() if isinstance(photo, str) else "",
    )


# Fields Ghost 4 and later keep in the posts_meta table, and older exports on the post itself.
_META_FIELDS = ("meta_title", "meta_description", "feature_image_alt", "feature_image_caption")


def _with_meta(post: dict[str, Any], meta: dict[str, Any] | None) -> dict[str, Any]:
    """The post with its posts_meta row's fields where the post has none of its own."""
    if not meta:
        return post
    merged = dict(post)
    for name in _META_FIELDS:
        if merged.get(name) in (None, "") and meta.get(name) not in (None, ""):
            merged[name] = meta[name]
    return merged


def _post(
    path: Path,
    post: dict[str, Any],
    notes: Counter[str],
    users: dict[str, str],
    tags: dict[str, str],
    post_tags: dict[str, list[str]],
    post_authors: dict[str, list[str]],
) -> tuple[ArticleInput, bool] | None:
    post_type = post.get("type")
    if post_type is None:  # Ghost 1–3: a flag instead of a type
        post_type = "page" if post.get("page") is True else "post"
    if post_type not in {"post", "page"}:
        notes[f"{str(post_type)[:20]} item skipped"] += 1
        return None
    post_id = clean_id(post.get("id"), path=path, line=None)
    if not post_id:
        raise ImportFailure(path, None, "'id' is missing")
    live = _wanted_live(post, notes)
    if live is None:
        return None
    body = _body(path, post, notes)
    if not _plain(body) and "<img" not in body:
        notes[f"{post_type} with no body text not imported"] += 1
        return None
    raw_title = post.get("title")
    if raw_title is not None and not isinstance(raw_title, str):
        raise ImportFailure(path, None, f"'title' must be text, not {type(raw_title).__name__}")
    title = clean_line(
        _plain(raw_title) or f"Untitled Ghost {post_type} {post_id}",
        field="title",
        path=path,
        line=None,
        limit=MAX_TITLE_CHARS,
    )
    dek = _plain(post.get("custom_excerpt"))
    if len(dek) > MAX_DEK_CHARS:
        notes["excerpt shortened to fit the standfirst"] += 1
        dek = dek[: MAX_DEK_CHARS - 1].rsplit(" ", 1)[0] + "…"
    author_ids = post_authors.get(post_id) or [str(post.get("author_id") or "")]
    authors = [users[a] for a in author_ids if users.get(a)]
    topics = [tags[t] for t in post_tags.get(post_id, []) if t in tags]
    slug = clean_slug(post.get("slug"), path=path, line=None)
    date = clean_date(post.get("published_at"), field="published_at", path=path, line=None)
    feature_image = post.get("feature_image")
    feature_image = feature_image.strip() if isinstance(feature_image, str) else ""
    if feature_image and post.get("feature_image_caption"):
        notes["featured image caption not kept (newsdesk has no caption field yet)"] += 1
    article = ArticleInput(
        title=title,
        body_html=check_body(body, path=path, line=None),
        seo_title=clean_line(
            _plain(post.get("meta_title")), field="meta_title", path=path, line=None, limit=255
        ),
        search_description=clean_line(
            _plain(post.get("meta_description")),
            field="meta_description",
            path=path,
            line=None,
            limit=MAX_DESCRIPTION_CHARS,
        ),
        featured_image_url=feature_image,
        featured_image_alt=clean_line(
            _plain(post.get("feature_image_alt")),
            field="feature_image_alt",
            path=path,
            line=None,
            limit=MAX_ALT_CHARS,
        ),
        dek=dek,
        slug=slug,
        published_at=date if live else None,
        topics=clean_names(topics[:MAX_NAMES], field="tags", path=path, line=None),
        authors=clean_names(authors[:MAX_NAMES], field="authors", path=path, line=None),
        source=SOURCE,
        external_id=post_id,
        wanted_live=live,
        # Ghost's default permalinks are /<slug>/ for posts and pages alike.
        old_paths=(f"/{slug}/",) if slug else (),
    )
    return article, post_type == "page"


def _member_state(member: dict[str, Any], subscribed: bool) -> MemberState:
    if member.get("email_disabled") is True:
        return MemberState.BOUNCED
    return MemberState.SUBSCRIBED if subscribed else MemberState.UNSUBSCRIBED


def _members(tables: _Tables, refused: Counter[tuple[str, str]]) -> list[ImportedMember]:
    """Ghost's members; subscribed means on at least one newsletter (Ghost 5 and 6), or the
    ``subscribed`` flag of Ghost 4's exports."""
    path = tables.path
    by_newsletter = tables.links("members_newsletters", "member_id", "newsletter_id")
    label_names = {str(row.get("id")): _plain(row.get("name")) for row in tables.rows("labels")}
    member_labels = tables.links("members_labels", "member_id", "label_id")
    newsletters_known = tables.has("members_newsletters") or tables.has("newsletters")
    members: list[ImportedMember] = []
    for member in tables.rows("members"):
        raw = member.get("email")
        try:
            address = member_address(raw if isinstance(raw, str) else "")
        except InvalidAddress:
            refused[("subscribers", "not a valid email address")] += 1
            continue
        member_id = str(member.get("id"))
        subscribed = (
            bool(by_newsletter.get(member_id))
            if newsletters_known
            else member.get("subscribed") is not False
        )
        labels = [label_names[i] for i in member_labels.get(member_id, []) if label_names.get(i)]
        note_parts = [_plain(member.get("note"))] if _plain(member.get("note")) else []
        if labels:
            note_parts.append("Labels: " + ", ".join(labels))
        if member.get("status") in {"paid", "comped"}:
            note_parts.append(f"Ghost status: {member['status']}")
        try:
            created = clean_date(member.get("created_at"), field="created_at", path=path, line=None)
        except ImportFailure:
            created = None  # a member is not refused for a stray date: the import date stands
        members.append(
            ImportedMember(
                address=address,
                state=_member_state(member, subscribed),
                name=_plain(member.get("name"))[:MAX_NAME_CHARS],
                created_at=created,
                note="; ".join(note_parts)[:MAX_NOTE_CHARS],
            )
        )
    return members
