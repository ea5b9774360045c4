"""Moving a publication out: Ghost's JSON, newsdesk's own JSON Lines, the subscriber CSV.

Every export is written to a temporary file beside the target and renamed over it only when
complete, so a failed or interrupted export leaves no half-written file (and an older export
under the same name stays as it was).

What each article is: the content readers see for a live article (an editor's unpublished
draft on top is not exported), the latest revision for a draft or a scheduled one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO, cast

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from wagtail.images import get_image_model

from newsdesk.importers.figures import portable_images
from newsdesk.news.models import ArticlePage, Author, PlainPage, Topic
from newsdesk.newsletter.subscriptions.member_exports import (
    exported_members,
    subscriber_count,
    subscriber_csv_lines,
)
from newsdesk.newsletter.subscriptions.member_imports import MemberState

# The Ghost version whose export shape this follows (Ghost 6's importer reads 5's and 6's).
GHOST_VERSION = "6.0.0"
# Ghost keys rows by 24 hex digits (MongoDB-style object ids); ours are made from the kind of
# row and its primary key, so the same site exports the same ids every time.
_KINDS = {
    "post": 1,
    "page": 2,
    "tag": 3,
    "user": 4,
    "member": 5,
    "newsletter": 6,
    "posts_tags": 7,
    "posts_authors": 8,
    "members_newsletters": 9,
    "posts_meta": 10,
}
_BATCH = 500

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportReport:
    path: Path
    counts: Counter[str]

    def summary(self) -> str:
        parts = [f"{count:,} {kind}" for kind, count in self.counts.items() if count]
        return f"Wrote {self.path}: " + (", ".join(parts) if parts else "nothing to export")


def object_id(kind: str, pk: int) -> str:
    return f"{_KINDS[kind]:02x}{pk:022x}"


@contextmanager
def written_whole(out: Path) -> Iterator[TextIO]:
    """A text file that appears at ``out`` only once the block has finished without error."""
    out = out.resolve()
    if out.is_dir():
        raise ValueError(f"{out} is a folder; name the file to write")
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=out.parent, prefix=f".{out.name}.", delete=False
    )
    try:
        with handle:
            yield cast(TextIO, handle)
        os.chmod(handle.name, 0o640)  # subscriber lists are personal data: not world-readable
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


# --- What is exported ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportedArticle:
    page: ArticlePage  # the content to export (a revision's object for drafts)
    pk: int
    status: str  # published, scheduled or draft
    published_at: datetime | None
    topics: list[Topic]
    authors: list[Author]


def _status(row: ArticlePage | PlainPage) -> tuple[str, datetime | None]:
    now = timezone.now()
    if row.live and row.first_published_at and row.first_published_at > now:
        return "scheduled", row.first_published_at
    if row.live:
        return "published", row.first_published_at
    if row.go_live_at and row.go_live_at > now:
        return "scheduled", row.go_live_at
    return "draft", None


def exported_articles() -> Iterator[ExportedArticle]:
    """Every article, oldest first in the tree, in batches (an archive need not fit in memory)."""
    rows = ArticlePage.objects.order_by("path").prefetch_related(
        Prefetch("topics", queryset=Topic.objects.only("name", "slug")),
        Prefetch("authors", queryset=Author.objects.only("name", "slug", "bio", "photo")),
    )
    last_path = ""
    while True:
        batch = list(rows.filter(path__gt=last_path)[:_BATCH])
        if not batch:
            return
        for row in batch:
            status, date = _status(row)
            content = row if row.live else row.get_latest_revision_as_object()
            yield ExportedArticle(
                page=content,
                pk=row.pk,
                status=status,
                published_at=date,
                topics=list(content.topics.all()),
                authors=list(content.authors.all()),
            )
        last_path = batch[-1].path


def exported_pages() -> list[tuple[PlainPage, str]]:
    rows = PlainPage.objects.order_by("path")
    return [
        (row if row.live else row.get_latest_revision_as_object(), _status(row)[0]) for row in rows
    ]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- Ghost --------------------------------------------------------------------------------------


def _ghost_post(kind: str, pk: int, page: Any, status: str, date: datetime | None) -> dict:
    return {
        "id": object_id(kind, pk),
        "title": page.title,
        "slug": page.slug,
        "html": portable_images(str(page.body), _original_url),
        "lexical": None,
        "mobiledoc": None,
        "type": kind,
        "status": status,
        "visibility": "public",
        "custom_excerpt": getattr(page, "dek", "") or None,
        "meta_title": page.seo_title or None,
        "meta_description": page.search_description or None,
        "feature_image": _original_url(getattr(page, "featured_image_id", None)),
        "published_at": _iso(date),
        "created_at": _iso(page.first_published_at or date or timezone.now()),
        "updated_at": _iso(page.last_published_at or timezone.now()),
    }


def _original_url(image_id: int | None) -> str | None:
    """The address of an image's original file on this site, for another site to fetch (or
    to find in a copy of the media folder: ``newsdesk import --media``)."""
    if image_id is None:
        return None
    image = get_image_model().objects.filter(pk=image_id).only("file").first()
    if image is None:
        return None
    url = image.file.url
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def _total() -> int:
    return ArticlePage.objects.count() + PlainPage.objects.count() + subscriber_count()


def export_ghost(out: Path, *, on_progress: Progress | None = None) -> ExportReport:
    """A Ghost export (``{"db": [{"meta", "data"}]}``) of the whole publication.

    Ghost's importer renders ``html`` into its editor's format itself. Authors have no email
    address here and Ghost requires one: each gets ``<slug>@authors.invalid`` (a reserved
    domain that never receives mail), to be changed in Ghost's staff settings. Subscribers who
    never confirmed are left out (they never agreed to be mailed); bounced and complained
    addresses keep Ghost's ``email_disabled``.
    """
    counts: Counter[str] = Counter()
    total, done = _total(), 0
    posts: list[dict[str, Any]] = []
    feature_alts: list[str] = []  # each post's feature image's alt text, else ""
    posts_tags: list[dict[str, Any]] = []
    posts_authors: list[dict[str, Any]] = []
    tags: dict[int, Topic] = {}
    users: dict[int, Author] = {}
    for article in exported_articles():
        post_id = object_id("post", article.pk)
        posts.append(
            _ghost_post("post", article.pk, article.page, article.status, article.published_at)
        )
        feature_alts.append(article.page.featured_image_alt if posts[-1]["feature_image"] else "")
        for order, topic in enumerate(article.topics):
            tags[topic.pk] = topic
            posts_tags.append(
                {
                    "id": object_id("posts_tags", len(posts_tags) + 1),
                    "post_id": post_id,
                    "tag_id": object_id("tag", topic.pk),
                    "sort_order": order,
                }
            )
        for order, author in enumerate(article.authors):
            users[author.pk] = author
            posts_authors.append(
                {
                    "id": object_id("posts_authors", len(posts_authors) + 1),
                    "post_id": post_id,
                    "author_id": object_id("user", author.pk),
                    "sort_order": order,
                }
            )
        counts["articles"] += 1
        done += 1
        if on_progress:
            on_progress(done, total)
    for page, status in exported_pages():
        date = page.first_published_at if status == "published" else None
        posts.append(_ghost_post("page", page.pk, page, status, date))
        feature_alts.append("")
        counts["pages"] += 1
        done += 1
        if on_progress:
            on_progress(done, total)
    newsletter_id = object_id("newsletter", 1)
    members: list[dict[str, Any]] = []
    members_newsletters: list[dict[str, Any]] = []
    for member in exported_members():
        done += 1
        if on_progress:
            on_progress(done, total)
        if member.state is None:
            counts["unconfirmed subscribers left out"] += 1
            continue
        member_id = object_id("member", member.pk)
        members.append(
            {
                "id": member_id,
                "email": member.email,
                "name": member.name or None,
                "note": member.note or None,
                "status": "free",
                "email_disabled": member.state == MemberState.BOUNCED,
                "created_at": _iso(member.created_at),
            }
        )
        if member.state == MemberState.SUBSCRIBED:
            members_newsletters.append(
                {
                    "id": object_id("members_newsletters", member.pk),
                    "member_id": member_id,
                    "newsletter_id": newsletter_id,
                }
            )
        counts["subscribers"] += 1
    counts["topics"] = len(tags)
    counts["authors"] = len(users)
    data = {
        "posts": posts,
        # Ghost 4 and later keep these beside the post; its importer reads them from here.
        "posts_meta": [
            {
                "id": object_id("posts_meta", index + 1),
                "post_id": post["id"],
                "feature_image_alt": alt,
            }
            for index, (post, alt) in enumerate(zip(posts, feature_alts, strict=True))
            if alt
        ],
        "tags": [
            {
                "id": object_id("tag", topic.pk),
                "name": topic.name,
                "slug": topic.slug,
                "description": topic.description or None,
                "visibility": "public",
            }
            for topic in tags.values()
        ],
        "posts_tags": posts_tags,
        "users": [
            {
                "id": object_id("user", author.pk),
                "name": author.name,
                "slug": author.slug,
                "email": f"{author.slug}@authors.invalid",
                "bio": author.bio or None,
                "profile_image": _original_url(author.photo_id),
                "status": "active",
            }
            for author in users.values()
        ],
        "posts_authors": posts_authors,
        "newsletters": [
            {"id": newsletter_id, "name": "Daily digest", "slug": "default-newsletter"}
        ],
        "members": members,
        "members_newsletters": members_newsletters,
        "labels": [],
        "members_labels": [],
    }
    document = {
        "db": [
            {
                "meta": {
                    "exported_on": int(timezone.now().timestamp() * 1000),
                    "version": GHOST_VERSION,
                },
                "data": data,
            }
        ]
    }
    with written_whole(out) as handle:
        json.dump(document, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    return ExportReport(path=out, counts=counts)


# --- JSON Lines ---------------------------------------------------------------------------------


def export_jsonl(out: Path, *, on_progress: Progress | None = None) -> ExportReport:
    """Articles as newsdesk's JSON Lines (``newsdesk import`` reads it back): the HTML body as
    ``body_html``; ``published`` only for published and scheduled articles, so that a draft
    imported with ``--publish`` is still not given a date."""
    counts: Counter[str] = Counter()
    total = ArticlePage.objects.count()
    with written_whole(out) as handle:
        for done, article in enumerate(exported_articles(), start=1):
            page = article.page
            record = {
                "id": page.import_external_id or f"newsdesk-{article.pk}",
                "title": page.title,
                "seo_title": page.seo_title,
                "dek": page.dek,
                "slug": page.slug,
                "published": _iso(article.published_at),
                "tags": [topic.name for topic in article.topics],
                "authors": [author.name for author in article.authors],
                "body_html": portable_images(str(page.body), _original_url),
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            counts["articles"] += 1
            if on_progress:
                on_progress(done, total)
    return ExportReport(path=out, counts=counts)


# --- Subscribers --------------------------------------------------------------------------------


def export_subscribers(out: Path, *, on_progress: Progress | None = None) -> ExportReport:
    """Every subscriber as the admin's CSV export writes it (formula-safe cells)."""
    counts: Counter[str] = Counter()
    total = subscriber_count()
    with written_whole(out) as handle:
        lines = subscriber_csv_lines()
        handle.write(next(lines))  # the header
        for done, line in enumerate(lines, start=1):
            handle.write(line)
            counts["subscribers"] += 1
            if on_progress:
                on_progress(done, total)
    return ExportReport(path=out, counts=counts)
