"""Each process's index follows signature changes made by any process, applying each change
once, and remembers only what it may read again."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from newsdesk.related import registry
from newsdesk.related.index import SimilarityIndex
from newsdesk.related.models import ArticleSignature
from tests.related.conftest import Newsroom


class Clock:
    def __init__(self) -> None:
        self.moment = timezone.now()

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(registry.timezone, "now", clock.now)
    return clock


def _synced() -> SimilarityIndex:
    # One thread here, so the index may be looked at after the block that synced it.
    with registry.index_in_use() as index:
        return index


def _changed_elsewhere(article_id: int, moment: datetime) -> None:
    """What another process's refresh does: store the signature again with a new version."""
    ArticleSignature.objects.filter(article_id=article_id).update(updated_at=moment)


def test_a_change_made_elsewhere_is_applied_once(published: Newsroom, clock: Clock) -> None:
    registry.forget()  # built afresh: every article is in the build, none an extra row
    index = _synced()
    extra = len(index.extra_rows)
    article = published.articles["flood-cost"]
    clock.moment += timedelta(seconds=5)
    _changed_elsewhere(article.pk, clock.moment)
    clock.moment += timedelta(seconds=1)
    assert len(_synced().extra_rows) == extra + 1
    # Looked at again within the overlap, the row is read again but not applied again.
    clock.moment += timedelta(seconds=1)
    assert len(_synced().extra_rows) == extra + 1


def test_a_later_change_is_applied_and_old_versions_are_forgotten(
    published: Newsroom, clock: Clock
) -> None:
    registry.forget()
    index = _synced()
    extra = len(index.extra_rows)
    clock.moment += timedelta(hours=1)
    _synced()
    # Nothing changed in the last hour: no version needs remembering any more.
    assert not registry._applied
    assert len(index.extra_rows) == extra
    article = published.articles["hospital-ward"]
    clock.moment += timedelta(hours=1)
    _changed_elsewhere(article.pk, clock.moment)
    clock.moment += timedelta(seconds=1)
    assert len(_synced().extra_rows) == extra + 1
    assert set(registry._applied) == {article.pk}
