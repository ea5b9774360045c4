"""Writes to the publication: the home page, topics, authors, articles and plain pages.

Importers, the demo loader and the CLI call these; none of them touches models directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtail.models import Page, Site

from newsdesk.news.models import (
    RESERVED_SLUGS,
    ArticlePage,
    Author,
    HomePage,
    PlainPage,
    Topic,
)

SaveResult = Literal["created", "updated", "skipped"]


@dataclass(frozen=True)
class ArticleInput:
    """One article as importers and the demo describe it, already validated and sanitised."""

    title: str
    body_html: str
    seo_title: str = ""
    # The meta description search engines show; empty lets the page use its standfirst.
    search_description: str = ""
    dek: str = ""
    slug: str = ""
    published_at: datetime | None = None
    topics: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    source: str = ""
    external_id: str = ""
    # An image already in Wagtail's library; None keeps whatever image the article has, so a
    # re-import without images leaves an editor's choice alone.
    featured_image_id: int | None = None
    featured_image_alt: str = ""
    # The featured image's address in the export, until the run has made it an image of the
    # library (``featured_image_id``); importers set this one, not the id.
    featured_image_url: str = ""
    # The source's own status, for sources that have one (WordPress): True publishes (a future
    # date schedules), False keeps a draft. None leaves it to the run's --publish/--draft.
    wanted_live: bool | None = None
    # Paths the article had on the site it comes from ("/2024/06/10/slug/", "/?p=123"); they
    # redirect to it (``old_paths_keep``).
    old_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthorInput:
    """What an import knows of an author beyond the name on the byline."""

    name: str
    bio: str = ""
    # The portrait's address in the export, until the run has made it an image of the library.
    photo_url: str = ""


def home_page_ensure(*, title: str | None = None) -> HomePage:
    """The publication's home page, created (with the default Site) when there is none yet.

    Wagtail's initial migration leaves a placeholder "Welcome" page as the site root; it is
    removed so that a freshly migrated database becomes a publication.
    """
    home = HomePage.objects.first()
    if home is not None:
        return home
    root = Page.get_first_root_node()
    for placeholder in Page.objects.child_of(root).filter(
        content_type__model="page", content_type__app_label="wagtailcore", numchild=0
    ):
        Site.objects.filter(root_page=placeholder).delete()
        placeholder.delete()
    root = Page.objects.get(pk=root.pk)  # numchild changed under us
    home = root.add_child(instance=HomePage(title=title or settings.SITE_NAME, slug="home"))
    parts = urlsplit(settings.SITE_URL)
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={
            "hostname": parts.hostname or "localhost",
            "port": parts.port or (443 if parts.scheme == "https" else 80),
            "root_page": home,
            "site_name": settings.SITE_NAME,
        },
    )
    return home


def topic_get_or_create(*, name: str) -> Topic:
    name = " ".join(name.split())[:80]
    existing = Topic.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    return Topic.objects.create(name=name, slug=_unique_slug(Topic, name))


def author_get_or_create(*, name: str) -> Author:
    name = " ".join(name.split())[:120]
    existing = Author.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    return Author.objects.create(name=name, slug=_unique_slug(Author, name))


def author_details_save(*, name: str, bio: str, photo_id: int | None) -> SaveResult:
    """Give the author of this name the export's bio and portrait, where it has none yet: an
    import fills what is empty and never overwrites what an editor wrote or chose. An author
    not yet on the site is created with them (also one who is on no byline: a staff member
    without posts)."""
    name = " ".join(name.split())[:120]
    author = Author.objects.filter(name__iexact=name).first()
    if author is None:
        Author.objects.create(
            name=name, slug=_unique_slug(Author, name), bio=bio, photo_id=photo_id
        )
        return "created"
    changed: list[str] = []
    if bio and not author.bio:
        author.bio = bio
        changed.append("bio")
    if photo_id is not None and author.photo_id is None:
        author.photo_id = photo_id
        changed.append("photo")
    if not changed:
        return "skipped"
    author.save(update_fields=changed)
    return "updated"


def _unique_slug(model: type[Topic] | type[Author], name: str) -> str:
    base = slugify(name)[:70] or "item"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def article_slug_for(*, home: HomePage, wanted: str, title: str, exclude_pk: int | None) -> str:
    """A free slug under the home page: the wanted one, else one from the headline."""
    base = slugify(wanted or title)[:200].strip("-") or "article"
    if base in RESERVED_SLUGS:
        base = f"{base}-article"
    siblings = Page.objects.child_of(home)
    if exclude_pk:
        siblings = siblings.exclude(pk=exclude_pk)
    slug, n = base, 1
    while siblings.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _import_key(data: ArticleInput) -> str:
    """What identifies the article within its source: its id, else the slug it asked for (kept
    even when the article had to take another slug because that one was someone else's)."""
    if data.external_id:
        return data.external_id
    return f"slug:{slugify(data.slug)}"[:255] if data.slug else ""


def _find_existing(data: ArticleInput, home: HomePage) -> ArticlePage | None:
    key = _import_key(data)
    if not key:
        return None
    found = ArticlePage.objects.filter(import_source=data.source, import_external_id=key).first()
    if found is None and not data.external_id:
        # Imported before slugs were keys: by its slug, and only from this same source (a slug
        # another source or an editor uses is someone else's story).
        found = (
            ArticlePage.objects.child_of(home)
            .filter(slug=slugify(data.slug), import_source=data.source, import_external_id="")
            .first()
        )
    return found


def _same_time(stored: datetime | None, wanted: datetime) -> bool:
    """Equal to the millisecond: a revision keeps its dates as JSON, which drops microseconds."""
    return stored is not None and abs(stored - wanted) < timedelta(milliseconds=1)


def _unchanged(article: ArticlePage, data: ArticleInput, publish: bool) -> bool:
    if article.live and article.has_unpublished_changes:
        return False  # an editor's draft waits on top: the import's change is a new revision
    # A page that is not live reads as its first save; what it holds now is its latest
    # revision (Wagtail keeps a draft's edits there only). Drafts and scheduled articles were
    # otherwise "updated" by every re-import of the same file.
    current = article if article.live else article.get_latest_revision_as_object()
    if not article.live and publish:
        # Asked to publish: unchanged only if already scheduled for the very date asked for.
        wanted = data.published_at
        if wanted is None or wanted <= timezone.now() or article.go_live_at != wanted:
            return False
    current_topics = {t.name.lower() for t in current.topics.all()}
    current_authors = {a.name.lower() for a in current.authors.all()}
    return (
        current.title == data.title
        and current.seo_title == data.seo_title
        and current.search_description == data.search_description
        and current.dek == data.dek
        and current.body == data.body_html
        and current_topics == {t.lower() for t in data.topics}
        and current_authors == {a.lower() for a in data.authors}
        and (data.published_at is None or _same_time(current.first_published_at, data.published_at))
        and (
            data.featured_image_id is None
            or (
                current.featured_image_id == data.featured_image_id
                and current.featured_image_alt == data.featured_image_alt
            )
        )
    )


@transaction.atomic
def article_save(
    *, data: ArticleInput, publish: bool, home: HomePage | None = None
) -> tuple[ArticlePage, SaveResult]:
    """Create or update one article; publish it, or keep the change as a draft revision.

    Matching is by (source, external id), else by slug within the same source, so re-running an
    import updates or skips instead of duplicating, and another source's article with that slug
    is never overwritten. A published date in the future schedules the article.
    """
    home = home or home_page_ensure()
    article = _find_existing(data, home)
    if article is not None and _unchanged(article, data, publish):
        return article, "skipped"

    created = article is None
    if article is None:
        article = ArticlePage(
            live=False, import_source=data.source, import_external_id=_import_key(data)
        )
    article.title = data.title
    article.seo_title = data.seo_title
    article.search_description = data.search_description
    article.dek = data.dek
    article.body = data.body_html
    article.slug = article_slug_for(
        home=home, wanted=data.slug or article.slug, title=data.title, exclude_pk=article.pk
    )
    article.topics = [topic_get_or_create(name=name) for name in data.topics]
    article.authors = [author_get_or_create(name=name) for name in data.authors]
    if data.published_at is not None:
        article.first_published_at = data.published_at
    if data.featured_image_id is not None:
        article.featured_image_id = data.featured_image_id
        article.featured_image_alt = data.featured_image_alt
    if created:
        home.add_child(instance=article)
    if publish and data.published_at is not None and data.published_at > timezone.now():
        # A future date schedules the article: Wagtail keeps it non-live until then and
        # ``newsdesk publish_scheduled`` (run by cron or the worker) makes it live.
        article.go_live_at = data.published_at
    revision = article.save_revision(clean=True)
    if publish:
        revision.publish()
        if created and data.published_at is not None and data.published_at <= timezone.now():
            # A new article with a date of its own is the one published on that date: the
            # import changes nothing readers see, so it is not its last change (Wagtail would
            # record the import's moment, and every sitemap lastmod would be the import day).
            # A later re-import that changes it is a change, and keeps Wagtail's date.
            ArticlePage.objects.filter(pk=article.pk).update(last_published_at=data.published_at)
            article.last_published_at = data.published_at
    return article, "created" if created else "updated"


@transaction.atomic
def plain_page_save(
    *, data: ArticleInput, publish: bool, home: HomePage | None = None
) -> tuple[PlainPage, SaveResult]:
    """Create or update one plain page ("About") from an import; publish it, or keep a draft.

    Only the title, SEO title and description, body and slug of ``data`` apply: a plain page
    has no date, byline or topics. Matching is by (source, external id), as for articles. A
    new page is put in the menus, so that the footer links it as the old site's menu did.
    """
    home = home or home_page_ensure()
    key = _import_key(data)
    page = (
        PlainPage.objects.filter(import_source=data.source, import_external_id=key).first()
        if key
        else None
    )
    if page is not None:
        current = page if page.live else page.get_latest_revision_as_object()
        if (
            not (page.live and page.has_unpublished_changes)
            and page.live == publish
            and (current.title, current.seo_title, current.search_description, current.body)
            == (data.title, data.seo_title, data.search_description, data.body_html)
        ):
            return page, "skipped"
    created = page is None
    if page is None:
        page = PlainPage(
            live=False, show_in_menus=True, import_source=data.source, import_external_id=key
        )
    page.title = data.title
    page.seo_title = data.seo_title
    page.search_description = data.search_description
    page.body = data.body_html
    page.slug = article_slug_for(
        home=home, wanted=data.slug or page.slug, title=data.title, exclude_pk=page.pk
    )
    if created:
        home.add_child(instance=page)
    revision = page.save_revision(clean=True)
    if publish:
        revision.publish()
    return page, "created" if created else "updated"


def old_paths_keep(*, page: Page, paths: tuple[str, ...]) -> int:
    """Permanent redirects from a page's old addresses to it; returns how many are new.

    A path that already redirects somewhere is left alone (an editor's redirect, or a second
    import of the same post), as is the page's own path, which would redirect to itself.
    Wagtail's middleware answers these on a 404; ``news.middleware.QueryRedirectMiddleware``
    answers those with a query string on the home page (``/?p=123``).
    """
    own = Redirect.normalise_path(f"/{page.slug}/")
    created = 0
    for path in paths:
        old_path = Redirect.normalise_path(path)
        if old_path in {"/", own} or len(old_path) > 255:
            continue
        if Redirect.objects.filter(site=None, old_path=old_path).exists():
            continue
        Redirect.objects.create(old_path=old_path, site=None, redirect_page=page)
        created += 1
    return created


def image_get_or_create(
    *, path: Path, name: str, title: str, sha1: str
) -> tuple[AbstractImage, bool]:
    """The library's image with this content (Wagtail's ``file_hash``), else a new one from the
    file; and whether it is new. The same picture imported twice, or under two addresses, is
    one image. The caller removes a new image's file if its transaction rolls back: storage is
    not transactional."""
    model = get_image_model()
    existing = model.objects.filter(file_hash=sha1).order_by("pk").first()
    if existing is not None:
        return existing, False
    with path.open("rb") as handle:
        image = model(title=title, file=ImageFile(handle, name=name))
        # What Wagtail's upload form sets; the model's save() alone leaves size and hash empty.
        image._set_image_file_metadata()
        image.save()
    return image, True
