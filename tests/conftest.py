"""Shared fixtures: a publication with a home page, and a factory for articles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from newsdesk.news.models import ArticlePage, HomePage
from newsdesk.news.services import home_page_ensure
from tests.helpers import article_create


@pytest.fixture
def home(db: None) -> HomePage:
    return home_page_ensure(title="Test Gazette")


@pytest.fixture
def make_article(home: HomePage) -> Callable[..., ArticlePage]:
    """Create an article through the same service the importers use (see ``article_create``)."""

    def make(title: str | None = None, **options: Any) -> ArticlePage:
        return article_create(home, title, **options)

    return make


@pytest.fixture(autouse=True)
def _fresh_fragment_cache() -> None:
    """Page fragments are cached per publication version, and a rolled-back test leaves the
    version where it found it: without this, one test's cached fragments would serve the next."""
    from django.core.cache import cache

    from newsdesk.news import versioning

    cache.clear()
    versioning.forget()
