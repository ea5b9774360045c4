"""Related Stories in templates: the article page asks the related app for its list, so the news
app, which the related app builds on, needs nothing from it."""

from __future__ import annotations

from typing import Any

from django import template

from newsdesk.news.models import ArticlePage
from newsdesk.related.selectors import related_stories_shown

register = template.Library()


@register.simple_tag(takes_context=True)
def related_stories(context: dict[str, Any], article: ArticlePage) -> list[ArticlePage]:
    request = context.get("request")
    # A preview shows unsaved changes, which no cache may serve or keep.
    return related_stories_shown(article, use_cache=not getattr(request, "is_preview", False))
