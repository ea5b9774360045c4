"""Shared fixtures: a publication with a home page, and a factory for articles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from newsdesk.news.models import ArticlePage, HomePage
from newsdesk.news.services import ArticleInput, article_save, home_page_ensure

_serial = count(1)


@pytest.fixture
def home(db: None) -> HomePage:
    return home_page_ensure(title="Test Gazette")


@pytest.fixture
def make_article(home: HomePage) -> Callable[..., ArticlePage]:
    """Create an article through the same service the importers use."""

    def make(
        title: str | None = None,
        *,
        body: str = "<h2>What happened</h2><p>Something happened in town.</p>",
        topics: tuple[str, ...] = ("Council",),
        authors: tuple[str, ...] = ("Maya Okafor",),
        dek: str = "",
        age: timedelta = timedelta(hours=1),
        publish: bool = True,
        **extra: object,
    ) -> ArticlePage:
        n = next(_serial)
        data = ArticleInput(
            title=title or f"Article number {n}",
            body_html=body,
            dek=dek,
            topics=topics,
            authors=authors,
            published_at=timezone.now() - age,
            source="test",
            external_id=f"t{n}",
            **extra,  # type: ignore[arg-type]
        )
        article, _ = article_save(data=data, publish=publish, home=home)
        return ArticlePage.objects.get(pk=article.pk)

    return make
