"""Writes: the home page, topics, authors and article_save (create, update, skip, schedule)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import Page, Site

from newsdesk.news.models import RESERVED_SLUGS, ArticlePage, HomePage, Topic
from newsdesk.news.services import (
    ArticleInput,
    article_save,
    author_get_or_create,
    home_page_ensure,
    topic_get_or_create,
)
from newsdesk.ops.demo_images import topic_picture_ensure


@pytest.fixture
def data() -> ArticleInput:
    return ArticleInput(
        title="Harbour wall repaired",
        body_html="<h2>The work</h2><p>Done in a week.</p>",
        seo_title="Is the harbour safe now?",
        dek="Crews finished early.",
        topics=("Harbour", "Council"),
        authors=("Maya Okafor",),
        published_at=timezone.now() - timedelta(hours=2),
        source="test",
        external_id="wall-1",
    )


def test_home_page_ensure_turns_a_fresh_site_into_a_publication(db: None) -> None:
    # Wagtail's migrations leave a "Welcome" placeholder as the default site's root.
    assert Page.objects.filter(depth=2, content_type__model="page").exists()
    home = home_page_ensure(title="Fresh Times")
    site = Site.objects.get(is_default_site=True)
    assert site.root_page_id == home.pk
    assert (site.hostname, site.port) == ("testserver", 80)
    assert not Page.objects.filter(depth=2, content_type__model="page").exists()
    assert home_page_ensure() == home  # the second call finds it
    assert HomePage.objects.count() == 1


def test_article_save_creates_a_published_article(home: HomePage, data: ArticleInput) -> None:
    article, result = article_save(data=data, publish=True, home=home)
    assert result == "created"
    article = ArticlePage.objects.get(pk=article.pk)
    assert article.live and article.get_parent().pk == home.pk
    assert (article.title, article.seo_title, article.dek) == (
        data.title,
        data.seo_title,
        data.dek,
    )
    assert article.slug == "harbour-wall-repaired"
    assert article.first_published_at == data.published_at
    assert sorted(t.name for t in article.topics.all()) == ["Council", "Harbour"]
    assert [a.name for a in article.authors.all()] == ["Maya Okafor"]
    assert article.revisions.count() == 1


def test_article_save_again_with_the_same_data_skips(home: HomePage, data: ArticleInput) -> None:
    first, _ = article_save(data=data, publish=True, home=home)
    again, result = article_save(data=data, publish=True, home=home)
    assert result == "skipped" and again.pk == first.pk
    assert ArticlePage.objects.get(pk=first.pk).revisions.count() == 1


def test_article_save_with_changes_updates(home: HomePage, data: ArticleInput) -> None:
    first, _ = article_save(data=data, publish=True, home=home)
    changed = replace(data, title="Harbour wall repaired at last", topics=("Harbour",))
    article, result = article_save(data=changed, publish=True, home=home)
    assert result == "updated" and article.pk == first.pk
    article = ArticlePage.objects.get(pk=first.pk)
    assert article.title == "Harbour wall repaired at last"
    assert [t.name for t in article.topics.all()] == ["Harbour"]
    assert ArticlePage.objects.count() == 1


def test_article_save_sets_the_featured_image_and_a_save_without_one_keeps_it(
    home: HomePage, data: ArticleInput
) -> None:
    image, alt = topic_picture_ensure("Harbour")
    with_image = replace(data, featured_image_id=image.pk, featured_image_alt=alt)
    article, result = article_save(data=with_image, publish=True, home=home)
    assert result == "created"
    assert article_save(data=with_image, publish=True, home=home)[1] == "skipped"
    # A re-import that carries no image leaves the article's image alone.
    assert article_save(data=replace(data, dek="New standfirst."), publish=True, home=home)[1] == (
        "updated"
    )
    article = ArticlePage.objects.get(pk=article.pk)
    assert (article.featured_image_id, article.featured_image_alt) == (image.pk, alt)
    # A different alt text is a change.
    new_alt = replace(with_image, dek="New standfirst.", featured_image_alt="The quay at noon")
    assert article_save(data=new_alt, publish=True, home=home)[1] == "updated"
    assert ArticlePage.objects.get(pk=article.pk).featured_image_alt == "The quay at noon"


def test_draft_save_of_a_live_article_keeps_the_live_version(
    home: HomePage, data: ArticleInput
) -> None:
    first, _ = article_save(data=data, publish=True, home=home)
    article_save(data=replace(data, title="Edited headline"), publish=False, home=home)
    article = ArticlePage.objects.get(pk=first.pk)
    assert article.live and article.title == data.title
    assert article.has_unpublished_changes
    assert article.get_latest_revision_as_object().title == "Edited headline"


def test_article_save_as_draft_is_not_live(home: HomePage, data: ArticleInput) -> None:
    article, _ = article_save(data=data, publish=False, home=home)
    assert not ArticlePage.objects.get(pk=article.pk).live


def test_future_date_schedules_the_article(home: HomePage, data: ArticleInput) -> None:
    when = timezone.now() + timedelta(days=2)
    article, _ = article_save(data=replace(data, published_at=when), publish=True, home=home)
    article = ArticlePage.objects.get(pk=article.pk)
    assert not article.live
    assert article.go_live_at == when
    assert article.revisions.get().approved_go_live_at == when


def test_a_draft_saved_again_unchanged_skips_and_changed_twice_compares_its_latest_revision(
    home: HomePage, data: ArticleInput
) -> None:
    first, _ = article_save(data=data, publish=False, home=home)
    assert article_save(data=data, publish=False, home=home)[1] == "skipped"
    edited = replace(data, title="Harbour wall repaired early")
    assert article_save(data=edited, publish=False, home=home)[1] == "updated"
    # A draft's edits live in its latest revision, not on the page row: that is compared.
    assert article_save(data=edited, publish=False, home=home)[1] == "skipped"
    assert article_save(data=data, publish=False, home=home)[1] == "updated"
    assert ArticlePage.objects.get(pk=first.pk).revisions.count() == 3
    # Asked to publish, a draft is not unchanged.
    assert article_save(data=data, publish=True, home=home)[1] == "updated"
    assert ArticlePage.objects.get(pk=first.pk).live


def test_a_scheduled_article_saved_again_unchanged_skips(
    home: HomePage, data: ArticleInput
) -> None:
    scheduled = replace(data, published_at=timezone.now() + timedelta(days=2))
    first, _ = article_save(data=scheduled, publish=True, home=home)
    assert article_save(data=scheduled, publish=True, home=home)[1] == "skipped"
    later = replace(scheduled, published_at=timezone.now() + timedelta(days=3))
    assert article_save(data=later, publish=True, home=home)[1] == "updated"
    assert ArticlePage.objects.get(pk=first.pk).go_live_at == later.published_at


def test_articles_without_external_id_match_by_slug(home: HomePage, data: ArticleInput) -> None:
    by_slug = replace(data, external_id="", slug="the-wall")
    first, _ = article_save(data=by_slug, publish=True, home=home)
    _, result = article_save(data=replace(by_slug, dek="New dek."), publish=True, home=home)
    assert result == "updated"
    assert ArticlePage.objects.get().pk == first.pk


def test_a_slug_of_another_source_is_never_overwritten(home: HomePage, data: ArticleInput) -> None:
    """A WordPress post whose slug equals an editor's article must not replace that article."""
    editors = replace(data, external_id="", slug="the-wall", source="")
    mine, _ = article_save(data=editors, publish=True, home=home)
    imported = replace(data, external_id="", slug="the-wall", source="wordpress", dek="Theirs.")
    theirs, result = article_save(data=imported, publish=True, home=home)
    assert result == "created" and theirs.pk != mine.pk
    assert theirs.slug == "the-wall-2"
    mine.refresh_from_db()
    assert mine.dek == data.dek
    # The same source again finds its own article.
    again, result = article_save(
        data=replace(imported, dek="Theirs, edited."), publish=True, home=home
    )
    assert (again.pk, result) == (theirs.pk, "updated")


def test_clashing_headlines_get_unique_slugs(home: HomePage, data: ArticleInput) -> None:
    one, _ = article_save(data=data, publish=True, home=home)
    two, _ = article_save(data=replace(data, external_id="wall-2"), publish=True, home=home)
    assert (one.slug, two.slug) == ("harbour-wall-repaired", "harbour-wall-repaired-2")


@pytest.mark.parametrize("slug", sorted(RESERVED_SLUGS - {"sitemap.xml", "news-sitemap.xml"}))
def test_reserved_slugs_are_never_given_to_articles(
    home: HomePage, data: ArticleInput, slug: str
) -> None:
    article, _ = article_save(data=replace(data, slug=slug), publish=True, home=home)
    assert article.slug not in RESERVED_SLUGS


def test_topics_and_authors_are_matched_case_insensitively(db: None) -> None:
    topic = topic_get_or_create(name="Harbour")
    assert topic_get_or_create(name="  harbour ") == topic
    author = author_get_or_create(name="Maya Okafor")
    assert author_get_or_create(name="MAYA   OKAFOR") == author


def test_topics_with_the_same_slug_get_distinct_slugs(db: None) -> None:
    first = topic_get_or_create(name="Sea-front")
    second = topic_get_or_create(name="Sea front!")
    assert (first.slug, second.slug) == ("sea-front", "sea-front-2")
    assert Topic.objects.count() == 2
