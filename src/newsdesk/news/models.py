"""Pages and snippets of a publication: the home page, articles, plain pages, topics and
authors."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from http import HTTPMethod
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404, HttpRequest
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page, PageManager
from wagtail.search import index
from wagtail.url_routing import RouteResult

from newsdesk.news.queries import (
    ArticleQuerySet,
    PlainPageQuerySet,
    restricted_paths,
    within_dates,
)
from newsdesk.news.rendering import BodyRendering, excerpt, render_body

# Features of the body editor: headed sections (h2/h3), lists, quotes, links, images.
BODY_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul", "blockquote", "hr", "image"]

# Paths served by newsdesk's own views; an article with one of these slugs would be unreachable.
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "django-admin",
        "topics",
        "authors",
        "search",
        "feed",
        "static",
        "media",
        "sitemap.xml",
        "news-sitemap.xml",
        "robots.txt",
        "documents",
        "images",
        "newsletter",
        "subscribe",
        "api",
        "healthz",
    }
)

# Reader pages only read. Wagtail answers any method a page lists (OPTIONS with 200, POST, PUT
# and DELETE by rendering the page); anything else gets 405 with an Allow header, as newsdesk's
# own views do with ``require_safe``. Editors' previews are not requests for these pages.
READ_ONLY_METHODS = [HTTPMethod.GET, HTTPMethod.HEAD]


class Topic(index.Indexed, models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Author(index.Indexed, models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    bio = models.TextField(blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="A portrait, shown on the author's page.",
    )

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("bio"), FieldPanel("photo")]
    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HomePage(Page):
    """The publication's front page: the newest articles, paginated."""

    intro = models.CharField(max_length=300, blank=True, help_text="Shown under the site name.")

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["news.ArticlePage", "news.PlainPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    allowed_http_methods = READ_ONLY_METHODS

    def route(self, request: HttpRequest, path_components: list[str]) -> RouteResult:
        """Find an article in one query: Wagtail's default takes two (the child page, then its
        specific type) on every article view."""
        if len(path_components) == 1:
            # Articles first: they are most of the pages and most of the views. A plain page
            # ("About") costs a second query, as does a path that is neither.
            child: Page | None = None
            for model in (ArticlePage, PlainPage):
                child = (
                    model.objects.child_of(self).filter(slug=path_components[0], live=True).first()
                )
                if child is not None:
                    break
            if child is None:
                raise Http404
            child._cached_parent_obj = self
            return child.route(request, [])
        return super().route(request, path_components)

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from newsdesk.news.selectors import article_page_of

        context = super().get_context(request, *args, **kwargs)
        context["articles"] = article_page_of(request.GET.get("page"))
        return context


class ArticlePage(Page):
    """One article. ``title`` is the headline; ``seo_title`` the browser/search title."""

    dek = models.CharField(
        "standfirst", max_length=300, blank=True, help_text="One sentence under the headline."
    )
    body = RichTextField(features=BODY_FEATURES, help_text="Use Heading 2 for each section.")
    authors = ParentalManyToManyField(Author, blank=True, related_name="articles")
    topics = ParentalManyToManyField(Topic, blank=True, related_name="articles")
    featured_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    featured_image_alt = models.CharField(
        max_length=250, blank=True, help_text="Describe the image for readers who cannot see it."
    )
    # Where an imported article came from; (source, external_id) makes re-imports idempotent.
    import_source = models.CharField(max_length=40, blank=True, editable=False)
    import_external_id = models.CharField(max_length=255, blank=True, editable=False)

    objects = PageManager.from_queryset(ArticleQuerySet)()

    content_panels = [
        *Page.content_panels,
        FieldPanel("dek"),
        MultiFieldPanel([FieldPanel("authors"), FieldPanel("topics")], heading="Byline and topics"),
        MultiFieldPanel(
            [FieldPanel("featured_image"), FieldPanel("featured_image_alt")],
            heading="Featured image",
        ),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                InlinePanel("related_pins", label="Pinned story"),
                InlinePanel("related_exclusions", label="Excluded story"),
            ],
            heading="Related Stories",
            help_text="Chosen automatically. Pinned stories come first; excluded ones never show.",
        ),
    ]
    search_fields = [
        *Page.search_fields,
        # published() filters on it; a search backend can only filter on fields it declares.
        index.FilterField("expire_at"),
        index.SearchField("dek"),
        index.SearchField("body"),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.RelatedFields("authors", [index.SearchField("name")]),
    ]
    # newsdesk.news.indexing connects the search index's receivers itself, so that a batch
    # (an import) can index each article once instead of after every save.
    search_auto_update = False
    parent_page_types = ["news.HomePage"]
    subpage_types: list[str] = []
    allowed_http_methods = READ_ONLY_METHODS

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["import_source", "import_external_id"],
                condition=~models.Q(import_external_id=""),
                name="article_unique_import_id",
            )
        ]
        indexes = [models.Index(fields=["import_source", "import_external_id"])]

    def clean(self) -> None:
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is used by the site itself."})
        if self.featured_image_id and not self.featured_image_alt:
            raise ValidationError({"featured_image_alt": "Describe the image (alt text)."})

    @cached_property
    def rendered(self) -> BodyRendering:
        return render_body(self.body)

    @property
    def last_changed_at(self) -> datetime | None:
        """When readers last saw this article change: the later of its publication date (the
        date the page shows) and its last publication in Wagtail (an editor's update).

        The one "modified" date of an article: the sitemap's ``lastmod``, JSON-LD's
        ``dateModified``, ``article:modified_time`` and Atom's ``<updated>``. Wagtail's
        ``last_published_at`` alone is not it: an article dated after it (a scheduled one, or
        one whose date an import moved) would be "modified" before it was published.
        """
        dates = [when for when in (self.first_published_at, self.last_published_at) if when]
        return max(dates) if dates else None

    def get_sitemap_urls(self, request: HttpRequest | None = None) -> list[dict[str, Any]]:
        # Wagtail's sitemap lists every live public page, so without this an article that is
        # live but dated in the future or past its expiry (not published()) would be announced
        # to crawlers.
        if not within_dates(self.first_published_at, self.expire_at):
            return []
        # Wagtail's lastmod is last_published_at, else the latest revision's date; ours is the
        # date readers are shown (see last_changed_at).
        urls = super().get_sitemap_urls(request)
        return [{**url, "lastmod": self.last_changed_at} for url in urls]

    def serve(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Wagtail serves every live page; a live article dated in the future is not published()
        # yet, and one past its expiry time is not any more (Wagtail un-lives it only when
        # publish_scheduled runs), so its address answers 404 outside its dates, like every list
        # that leaves it out. Editors' previews go through here too and must still show it.
        outside_dates = not within_dates(self.first_published_at, self.expire_at)
        if outside_dates and not getattr(request, "is_preview", False):
            raise Http404
        response = super().serve(request, *args, **kwargs)
        if self.expire_at is not None:
            # Not kept whole past its expiry (news/page_cache.py).
            response.newsdesk_cache_until = self.expire_at
        return response

    def get_view_restrictions(self) -> Any:
        """Wagtail checks these on every view with two queries; the restricted subtrees are
        cached, so an article outside all of them needs none."""
        if not any(self.path.startswith(path) for path in restricted_paths()):
            return []
        return super().get_view_restrictions()

    @property
    def browser_title(self) -> str:
        return self.seo_title or self.title

    def get_context(self, request: HttpRequest, *args: Any, **kwargs: Any) -> dict[str, Any]:
        from newsdesk.news.selectors import article_furniture

        context = super().get_context(request, *args, **kwargs)
        # A preview shows unsaved changes, which no cache may serve or keep.
        furniture = article_furniture(self, use_cache=not getattr(request, "is_preview", False))
        context["topics"] = furniture.topics
        context["authors"] = furniture.authors
        return context


class PlainPage(Page):
    """A page outside the news: "About", "Contact", "Corrections policy". No date, byline or
    Related Stories; those with "Show in menus" (Promote tab) are linked in every page's
    footer."""

    body = RichTextField(features=BODY_FEATURES, help_text="Use Heading 2 for each section.")
    # Where an imported page came from, as for articles (``ArticlePage.import_source``).
    import_source = models.CharField(max_length=40, blank=True, editable=False)
    import_external_id = models.CharField(max_length=255, blank=True, editable=False)

    objects = PageManager.from_queryset(PlainPageQuerySet)()

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["news.HomePage"]
    subpage_types: list[str] = []
    allowed_http_methods = READ_ONLY_METHODS

    class Meta:
        verbose_name = "plain page"
        constraints = [
            models.UniqueConstraint(
                fields=["import_source", "import_external_id"],
                condition=~models.Q(import_external_id=""),
                name="plain_page_unique_import_id",
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": f"“{self.slug}” is used by the site itself."})

    @cached_property
    def rendered(self) -> BodyRendering:
        return render_body(self.body)

    @property
    def browser_title(self) -> str:
        return self.seo_title or self.title

    @property
    def description(self) -> str:
        """For the meta description: the editor's, else the body's opening."""
        return self.search_description or excerpt(self.body)

    def get_view_restrictions(self) -> Any:
        # As for articles: no queries for a page outside every restricted subtree.
        if not any(self.path.startswith(path) for path in restricted_paths()):
            return []
        return super().get_view_restrictions()


class PublicationVersion(models.Model):
    """One row whose number goes up whenever anything readers may see changes.

    Fragments every page shares (topic navigation, Recent Articles, article counts) are cached
    per process under this number, so a publish anywhere retires them everywhere.
    """

    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"publication version {self.value}"
