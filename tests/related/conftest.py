"""Fixtures for the related-stories tests: a small hand-written newsroom and a publisher that
lets the refreshes queued on commit actually run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from newsdesk.news.models import ArticlePage, HomePage
from newsdesk.related import registry
from tests.helpers import article_create
from tests.related.stories import STORIES, Story


@dataclass
class Newsroom:
    """The published stories by key, and how to publish more with their refreshes run."""

    home: HomePage
    articles: dict[str, ArticlePage]
    capture: Callable[..., Any]

    def publish(
        self,
        story: Story,
        *,
        age: timedelta = timedelta(days=1),
        with_topics: bool = True,
        **options: Any,
    ) -> ArticlePage:
        with self.capture(execute=True):
            article = article_create(
                self.home,
                story.title,
                dek=story.dek,
                body=story.body,
                topics=(story.topic,) if with_topics else (),
                authors=("Maya Okafor",) if with_topics else (),
                age=age,
                **options,
            )
        self.articles[story.key] = article
        return article

    def key_of(self, article_id: int) -> str:
        return next(key for key, a in self.articles.items() if a.pk == article_id)


@pytest.fixture(autouse=True)
def fresh_index() -> Iterator[None]:
    """The index is a per-process global; each test starts and ends without one."""
    registry.forget()
    yield
    registry.forget()


@pytest.fixture
def newsroom(home: HomePage, django_capture_on_commit_callbacks: Callable[..., Any]) -> Newsroom:
    return Newsroom(home=home, articles={}, capture=django_capture_on_commit_callbacks)


@pytest.fixture
def published(newsroom: Newsroom) -> Newsroom:
    """The nine stories, published a day apart (newest first in STORIES order reversed)."""
    for n, story in enumerate(STORIES):
        newsroom.publish(story, age=timedelta(days=len(STORIES) - n))
    return newsroom


def stored_list(article: ArticlePage) -> list[int]:
    """Target ids of an article's stored list, in rank order."""
    from newsdesk.related.models import RelatedLink

    return list(
        RelatedLink.objects.filter(source=article)
        .order_by("rank")
        .values_list("target_id", flat=True)
    )
