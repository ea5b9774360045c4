"""Template tags for the site furniture shown on every public page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template

from newsdesk.news import selectors
from newsdesk.news.dates import machine_datetime
from newsdesk.news.rendering import excerpt as body_excerpt
from newsdesk.news.seo import json_ld, news_article, organization

register = template.Library()


@register.inclusion_tag("news/includes/recent.html")
def recent_articles(page: Any = None) -> dict[str, Any]:
    """The newest published articles, leaving out the article being read."""
    exclude = page if getattr(page, "pk", None) and hasattr(page, "dek") else None
    return {"recent": selectors.recent_articles(exclude=exclude)}


@register.inclusion_tag("news/includes/topic_nav.html", takes_context=True)
def topic_nav(context: dict[str, Any]) -> dict[str, Any]:
    """The topics in use; the one whose page this is marked as current."""
    current = context.get("topic")
    return {"topics": selectors.topics_in_use(), "current_slug": getattr(current, "slug", "")}


@register.inclusion_tag("news/includes/footer_pages.html")
def footer_pages() -> dict[str, Any]:
    """Links to the plain pages in the menus ("About", "Contact")."""
    return {"pages": selectors.footer_pages()}


@register.filter
def html_datetime(value: datetime | None) -> str:
    """For ``<time datetime>`` and meta dates: valid HTML, to the whole second (see ``dates``)."""
    return machine_datetime(value)


@register.filter
def card_text(article: Any) -> str:
    """What a listing card shows under the headline: the standfirst, else the body's opening."""
    return article.dek or article.search_description or body_excerpt(article.body)


@register.simple_tag(takes_context=True)
def article_json_ld(context: dict[str, Any], article: Any, authors: list[Any]) -> str:
    image_url = ""
    if article.featured_image_id:
        image_url = article.featured_image.get_rendition("fill-1200x675").url
    return json_ld(news_article(article, authors, context["request"], image_url), organization())


@register.simple_tag
def organization_json_ld() -> str:
    return json_ld(organization())
