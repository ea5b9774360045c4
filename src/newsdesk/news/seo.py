"""Structured data (JSON-LD) for search engines: NewsArticle and Organization."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

from newsdesk.news.models import ArticlePage, Author


def absolute(path: str) -> str:
    return path if path.startswith(("http://", "https://")) else settings.SITE_URL + path


def organization() -> dict[str, Any]:
    return {
        "@type": "NewsMediaOrganization",
        "@id": settings.SITE_URL + "/#organization",
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL + "/",
    }


def news_article(
    article: ArticlePage, authors: list[Author], request: HttpRequest, image_url: str = ""
) -> dict[str, Any]:
    url = absolute(article.get_url(request) or "/")
    data: dict[str, Any] = {
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "headline": article.title[:110],
        "description": article.dek or article.search_description,
        "datePublished": article.first_published_at.isoformat()
        if article.first_published_at
        else None,
        "dateModified": article.last_changed_at.isoformat() if article.last_changed_at else None,
        "author": [
            {"@type": "Person", "name": author.name, "url": absolute(f"/authors/{author.slug}/")}
            for author in authors
        ]
        or [{"@type": "Organization", "name": settings.SITE_NAME}],
        "publisher": {"@id": settings.SITE_URL + "/#organization"},
        "wordCount": article.rendered.words,
    }
    if image_url:
        data["image"] = [absolute(image_url)]
    return {k: v for k, v in data.items() if v not in (None, "")}


def json_ld(*items: dict[str, Any]) -> SafeString:
    """A JSON-LD graph, safe inside <script>: "<", ">" and "&" are escaped as \\u sequences."""
    graph = {"@context": "https://schema.org", "@graph": list(items)}
    text = json.dumps(graph, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # noqa: S308 - "<", ">" and "&" escaped above for <script>
