"""RSS 2.0 and Atom feeds for the whole site and for each topic."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from newsdesk.news.models import ArticlePage, Topic
from newsdesk.news.rendering import excerpt
from newsdesk.news.selectors import published_articles
from newsdesk.news.seo import absolute

FEED_SIZE = 30


class SiteRssFeed(Feed):
    # Feed's own type, so the Atom subclass may set another generator.
    feed_type: type[SyndicationFeed] = Rss201rev2Feed
    feed_path = "rss"

    def get_object(self, request: HttpRequest, slug: str | None = None) -> Topic | None:
        return get_object_or_404(Topic, slug=slug) if slug else None

    def title(self, topic: Topic | None) -> str:
        return f"{settings.SITE_NAME}: {topic.name}" if topic else settings.SITE_NAME

    def link(self, topic: Topic | None) -> str:
        return absolute(f"/topics/{topic.slug}/" if topic else "/")

    def feed_url(self, topic: Topic | None) -> str:
        # The feed's self link (atom:link rel="self"), from SITE_URL like every other link here:
        # Django would otherwise build it from the request's Host header and scheme.
        base = f"/topics/{topic.slug}/" if topic else "/"
        return absolute(f"{base}feed/{self.feed_path}/")

    def description(self, topic: Topic | None) -> str:
        if topic:
            return topic.description or f"The latest {topic.name} news from {settings.SITE_NAME}."
        return f"The latest news from {settings.SITE_NAME}."

    def items(self, topic: Topic | None) -> list[ArticlePage]:
        articles = published_articles().prefetch_related("authors")
        if topic:
            articles = articles.filter(topics=topic)
        return list(articles[:FEED_SIZE])

    def item_title(self, item: ArticlePage) -> str:
        return item.title

    def item_description(self, item: ArticlePage) -> str:
        return item.dek or excerpt(item.body)

    def item_link(self, item: ArticlePage) -> str:
        # Links use SITE_URL, not the request's Host header, which a client controls.
        return absolute(item.get_url() or "/")

    def item_guid(self, item: ArticlePage) -> str:
        # Stable across slug changes, so feed readers do not show a renamed story twice.
        return f"{settings.SITE_URL}/?p={item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: ArticlePage) -> datetime | None:
        return item.first_published_at

    def item_updateddate(self, item: ArticlePage) -> datetime | None:
        return item.last_published_at or item.first_published_at

    def item_author_name(self, item: ArticlePage) -> str | None:
        names = [author.name for author in item.authors.all()]
        return ", ".join(names) or None

    def item_categories(self, item: ArticlePage) -> list[str]:
        return [topic.name for topic in item.topics.all()]


class SiteAtomFeed(SiteRssFeed):
    feed_type = Atom1Feed
    feed_path = "atom"

    def subtitle(self, topic: Topic | None) -> str:
        return self.description(topic)
