"""Writes to the publication: the home page, topics, authors and articles.

Importers, the demo loader and the CLI call these; none of them touches models directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page, Site

from newsdesk.news.models import RESERVED_SLUGS, ArticlePage, Author, HomePage, Topic

SaveResult = Literal["created", "updated", "skipped"]


@dataclass(frozen=True)
class ArticleInput:
    """One article as importers and the demo describe it, already validated and sanitised."""

    title: str
    body_html: str
    seo_title: str = ""
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


def _unchanged(article: ArticlePage, data: ArticleInput, publish: bool) -> bool:
    current_topics = {t.name.lower() for t in article.topics.all()}
    current_authors = {a.name.lower() for a in article.authors.all()}
    return (
        article.title == data.title
        and article.seo_title == data.seo_title
        and article.dek == data.dek
        and article.body == data.body_html
        and current_topics == {t.lower() for t in data.topics}
        and current_authors == {a.lower() for a in data.authors}
        and (data.published_at is None or article.first_published_at == data.published_at)
        and (
            data.featured_image_id is None
            or (
                article.featured_image_id == data.featured_image_id
                and article.featured_image_alt == data.featured_image_alt
            )
        )
        and (article.live or not publish)
        and not article.has_unpublished_changes
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
