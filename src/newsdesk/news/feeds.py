"""RSS 2.0 and Atom feeds for the whole site and for each public topic.

What each field carries (see ``feed_markup``): headlines, names and topics are text; the
summary (the standfirst, else the opening of the body) is text escaped into an HTML field; the
content is the article body as sanitised HTML with absolute links.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.http import parse_http_date_safe
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import condition, require_safe

from newsdesk.news.feed_markup import bodies_as_html, rss_title, text_as_html
from newsdesk.news.models import ArticlePage, Topic
from newsdesk.news.rendering import excerpt
from newsdesk.news.selectors import (
    FeedValidators,
    feed_validators,
    public_topic,
    published_articles,
)
from newsdesk.news.seo import absolute

FEED_SIZE = 30
CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"


@dataclass(frozen=True)
class FeedItem:
    """One article with its body already turned into feed HTML (done for the whole feed at
    once, see ``bodies_as_html``). Built per request: the Feed object itself is shared by every
    thread and keeps nothing."""

    article: ArticlePage
    link: str
    content_html: str


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 with the body in ``<content:encoded>``, where readers look for the full text."""

    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NAMESPACE}

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])


class AtomWithContent(Atom1Feed):
    """Atom with the body in ``<content type="html">``."""

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


def _validators(request: HttpRequest, slug: str | None = None) -> FeedValidators | None:
    """Worked out once per request (Django asks for the ETag and Last-Modified separately)."""
    if not hasattr(request, "_feed_validators"):
        topic = public_topic(slug) if slug else None
        # An unknown topic has no validators: the feed view answers 404 itself.
        found = None if slug and topic is None else feed_validators(topic, FEED_SIZE)
        request._feed_validators = found  # type: ignore[attr-defined]
    return request._feed_validators  # type: ignore[attr-defined, no-any-return]


def _etag(request: HttpRequest, slug: str | None = None) -> str | None:
    validators = _validators(request, slug)
    return validators.etag if validators else None


def _last_modified(request: HttpRequest, slug: str | None = None) -> datetime | None:
    validators = _validators(request, slug)
    return validators.last_modified if validators else None


def _future_dates_ignored(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Drop an If-Modified-Since later than now before Django compares it: such a date is not
    one this server ever sent (RFC 9110 forbids a Last-Modified in the future), and a client
    with a wrong clock must get the feed, not a 304 that hides every later article."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
        if since is not None and since > timezone.now().timestamp():
            del request.META["HTTP_IF_MODIFIED_SINCE"]
        return view(request, *args, **kwargs)

    return wrapper


@method_decorator(require_safe, name="__call__")
# Last-Modified and an ETag, and 304 Not Modified to a conditional GET that matches them: feed
# readers poll every few minutes, and most polls find nothing new.
@method_decorator(_future_dates_ignored, name="__call__")
@method_decorator(condition(etag_func=_etag, last_modified_func=_last_modified), name="__call__")
class SiteRssFeed(Feed):
    # Feed's own type, so the Atom subclass may set another generator.
    feed_type: type[SyndicationFeed] = RssWithContent
    feed_path = "rss"

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Topic | None:
        if not slug:
            return None
        # A topic known only from unpublished articles answers like an unknown one.
        topic = public_topic(slug)
        if topic is None:
            raise Http404("No such topic.")
        return topic

    def _title_text(self, topic: Topic | None) -> str:
        return f"{settings.SITE_NAME}: {topic.name}" if topic else settings.SITE_NAME

    def _description_text(self, topic: Topic | None) -> str:
        if topic:
            return topic.description or f"The latest {topic.name} news from {settings.SITE_NAME}."
        return f"The latest news from {settings.SITE_NAME}."

    def title(self, topic: Topic | None) -> str:
        return rss_title(self._title_text(topic))

    def link(self, topic: Topic | None) -> str:
        return absolute(f"/topics/{topic.slug}/" if topic else "/")

    def feed_url(self, topic: Topic | None) -> str:
        # The feed's self link (atom:link rel="self"), from SITE_URL like every other link here:
        # Django would otherwise build it from the request's Host header and scheme.
        base = f"/topics/{topic.slug}/" if topic else "/"
        return absolute(f"{base}feed/{self.feed_path}/")

    def description(self, topic: Topic | None) -> str:
        # A channel's <description> is HTML to RSS readers, like an item's.
        return text_as_html(self._description_text(topic))

    def items(self, topic: Topic | None) -> list[FeedItem]:
        articles = published_articles().prefetch_related("authors")
        if topic:
            articles = articles.filter(topics=topic)
        chosen = list(articles[:FEED_SIZE])
        # Links use SITE_URL, not the request's Host header, which a client controls.
        links = [absolute(article.get_url() or "/") for article in chosen]
        bodies = bodies_as_html([article.body for article in chosen], links)
        return [
            FeedItem(article=article, link=link, content_html=body)
            for article, link, body in zip(chosen, links, bodies, strict=True)
        ]

    def item_title(self, item: FeedItem) -> str:
        return rss_title(item.article.title)

    def item_description(self, item: FeedItem) -> str:
        article = item.article
        return text_as_html(article.dek or excerpt(article.body))

    def item_link(self, item: FeedItem) -> str:
        return item.link

    def item_guid(self, item: FeedItem) -> str:
        # Stable across slug changes, so feed readers do not show a renamed story twice.
        return f"{settings.SITE_URL}/?p={item.article.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: FeedItem) -> datetime | None:
        return item.article.first_published_at

    def item_updateddate(self, item: FeedItem) -> datetime | None:
        return item.article.last_changed_at

    def item_author_name(self, item: FeedItem) -> str | None:
        names = [author.name for author in item.article.authors.all()]
        return ", ".join(names) or None

    def item_categories(self, item: FeedItem) -> list[str]:
        return [topic.name for topic in item.article.topics.all()]

    def item_extra_kwargs(self, item: FeedItem) -> dict[str, Any]:
        return {"content_html": item.content_html}


class SiteAtomFeed(SiteRssFeed):
    feed_type = AtomWithContent
    feed_path = "atom"

    # Atom says what each field is: titles and the subtitle are type="text" (the default).
    def title(self, topic: Topic | None) -> str:
        return self._title_text(topic)

    def subtitle(self, topic: Topic | None) -> str:
        return self._description_text(topic)

    def item_title(self, item: FeedItem) -> str:
        return item.article.title
