"""Public views that are not Wagtail pages: topics, authors, search, robots.txt, sitemaps.

Every one is read-only: GET and HEAD, and 405 with an Allow header for any other method (TRACE
and OPTIONS included), like the Wagtail pages (``allowed_http_methods`` in ``models``) and the
feeds.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap

from newsdesk.news import selectors

# Google News sitemaps list articles from the last two days only.
NEWS_SITEMAP_WINDOW = timedelta(days=2)


@require_safe
def topic_detail(request: HttpRequest, slug: str) -> HttpResponse:
    topic = selectors.public_topic(slug)
    if topic is None:
        raise Http404("No such topic.")
    articles = selectors.topic_article_page_of(topic, request.GET.get("page"))
    return render(request, "news/topic.html", {"topic": topic, "articles": articles})


@require_safe
def author_detail(request: HttpRequest, slug: str) -> HttpResponse:
    author = selectors.public_author(slug)
    if author is None:
        raise Http404("No such author.")
    articles = selectors.author_article_page_of(author, request.GET.get("page"))
    return render(request, "news/author.html", {"author": author, "articles": articles})


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = " ".join(request.GET.get("q", "").split())[: selectors.MAX_SEARCH_CHARS]
    results = None
    if query:
        from django.core.paginator import Paginator

        results = Paginator(selectors.search_articles(query), settings.NEWSDESK_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    return render(request, "news/search.html", {"query": query, "results": results})


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /django-admin/",
        "Disallow: /search/",
        "",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
        f"Sitemap: {settings.SITE_URL}/news-sitemap.xml",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")


@require_safe
def news_sitemap(request: HttpRequest) -> HttpResponse:
    articles = selectors.articles_published_since(timezone.now() - NEWS_SITEMAP_WINDOW)
    return render(
        request,
        "news/news_sitemap.xml",
        {"articles": articles, "language": settings.LANGUAGE_CODE.split("-")[0]},
        content_type="application/xml; charset=utf-8",
    )


@require_safe
def sitemap(request: HttpRequest) -> HttpResponse:
    """Wagtail's sitemap of every page (each article decides its own entry), read-only."""
    response: HttpResponse = wagtail_sitemap(request)
    return response
