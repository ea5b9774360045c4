"""Search and reference indexing of articles: at once after an editor's save, once per article
after a batch such as an import."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.images import ImageFile
from django.db import transaction
from PIL import Image as PillowImage
from wagtail.images import get_image_model
from wagtail.models import ReferenceIndex

from newsdesk.importers.runner import import_paths
from newsdesk.news import indexing
from newsdesk.news.indexing import indexing_deferred
from newsdesk.news.models import ArticlePage, HomePage

MakeArticle = Callable[..., ArticlePage]


def found(word: str) -> list[str]:
    return [article.title for article in ArticlePage.objects.live().search(word)]


def picture() -> object:
    buffer = io.BytesIO()
    PillowImage.new("RGB", (64, 36), (200, 120, 40)).save(buffer, "PNG")
    return get_image_model().objects.create(title="Pier", file=ImageFile(buffer, name="pier.png"))


def test_an_editors_save_is_searchable_at_once(make_article: MakeArticle) -> None:
    make_article("Lighthouse keeper retires", body="<h2>Farewell</h2><p>After forty winters.</p>")
    assert found("lighthouse") == ["Lighthouse keeper retires"]
    assert found("winters") == ["Lighthouse keeper retires"]


def test_a_deleted_article_leaves_the_search_index(make_article: MakeArticle) -> None:
    article = make_article("Lifeboat crew honoured")
    assert found("lifeboat") == ["Lifeboat crew honoured"]
    article.delete()
    assert found("lifeboat") == []


def test_an_import_indexes_each_article_once_at_the_end(home: HomePage, tmp_path: Path) -> None:
    source = tmp_path / "batch.jsonl"
    titles = ["Quayside market returns", "Quayside parking rules", "Quayside mural unveiled"]
    source.write_text(
        "".join(
            json.dumps({"id": f"q{n}", "title": title, "body": "Stalls line the harbour."}) + "\n"
            for n, title in enumerate(titles)
        ),
        encoding="utf-8",
    )
    seen_during: list[list[str]] = []
    import_paths(
        [source], publish=True, on_article=lambda *_: seen_during.append(found("quayside"))
    )

    # Not one article was searchable while the batch ran; all of them are afterwards.
    assert seen_during == [[], [], []]
    assert sorted(found("quayside")) == sorted(titles)
    assert sorted(found("stalls")) == sorted(titles)


def test_a_batch_records_image_usage_in_the_reference_index(make_article: MakeArticle) -> None:
    """Wagtail's "usage" of an image comes from the reference index, deferred like search."""
    image = picture()
    with transaction.atomic(), indexing_deferred():
        article = make_article("Pier repairs approved")
        article.featured_image = image  # type: ignore[assignment]
        article.featured_image_alt = "The pier at low tide"
        article.save_revision().publish()
        assert not ReferenceIndex.get_references_to(image).exists()
    (reference,) = ReferenceIndex.get_references_to(image)
    assert int(reference.object_id) == article.pk


def test_a_failed_batch_indexes_nothing(make_article: MakeArticle) -> None:
    with pytest.raises(RuntimeError), transaction.atomic(), indexing_deferred():
        make_article("Harbour dredging starts")
        raise RuntimeError("the import stopped")
    assert found("dredging") == []
    assert not ArticlePage.objects.filter(title="Harbour dredging starts").exists()


def test_blocks_nest_and_the_outer_one_indexes(make_article: MakeArticle) -> None:
    with transaction.atomic(), indexing_deferred():
        with indexing_deferred():
            make_article("Seawall survey published")
        assert found("seawall") == []
    assert found("seawall") == ["Seawall survey published"]


class _SearchServiceDown:
    """Stands in for an external search service (Elasticsearch) that is unreachable."""

    def __init__(self, catch_indexing_errors: bool) -> None:
        self.catch_indexing_errors = catch_indexing_errors

    def add_bulk(self, model: type, objects: list[object]) -> None:
        raise ConnectionError("search service unreachable")


@pytest.mark.parametrize("catches", [True, False])
def test_a_search_service_outage_is_logged_or_raised_as_its_backend_asks(
    make_article: MakeArticle,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    catches: bool,
) -> None:
    article = make_article("Ferry strike called off")
    monkeypatch.setattr(indexing, "get_search_backends", lambda **_: [_SearchServiceDown(catches)])
    if catches:
        indexing.articles_index([article.pk])  # the import goes on
        assert "indexing 1 articles failed" in caplog.text
    else:
        with pytest.raises(ConnectionError):
            indexing.articles_index([article.pk])
