"""The preferences page offers only public topics: those with a published article."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.news.models import ArticlePage, HomePage, Topic
from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.tokens import token_make
from tests.helpers import article_create, parse_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann() -> Subscriber:
    return Subscriber.objects.create(email="ann@example.org", email_key="ann@example.org")


def _url(subscriber: Subscriber) -> str:
    return f"/newsletter/preferences/{token_make(subscriber=subscriber, purpose='preferences')}/"


def _offered(client: Client, subscriber: Subscriber) -> list[str]:
    main = parse_html(client.get(_url(subscriber)).content).find("main")
    labels = main.find_all("label")
    return [
        label.clean_text for label in labels if label.attrs.get("for", "").startswith("id_topics")
    ]


def test_only_topics_with_a_published_article_are_offered(
    client: Client, home: HomePage, ann: Subscriber
) -> None:
    article_create(home, "Rovers win", topics=("Sport",))
    article_create(home, "Merger talks", topics=("Takeover",), publish=False)
    article_create(home, "Budget next week", topics=("Budget",), age=-timedelta(days=2))
    dated = article_create(home, "Dated tomorrow", topics=("Tomorrow",))
    ArticlePage.objects.filter(pk=dated.pk).update(
        first_published_at=timezone.now() + timedelta(days=1)
    )
    Topic.objects.create(name="Never used", slug="never-used")
    assert _offered(client, ann) == ["Sport"]
    page = client.get(_url(ann)).content.decode()
    for hidden in ("Takeover", "Budget", "Tomorrow", "Never used"):
        assert hidden not in page


def test_a_hidden_topic_cannot_be_chosen_by_posting_its_id(
    client: Client, home: HomePage, ann: Subscriber
) -> None:
    article_create(home, "Rovers win", topics=("Sport",))
    article_create(home, "Merger talks", topics=("Takeover",), publish=False)
    takeover = Topic.objects.get(name="Takeover")
    response = client.post(
        _url(ann), {"frequency": "daily", "topics": [str(takeover.pk)], "save": "1"}
    )
    assert response.status_code == 400
    assert "Please check the choices below." in parse_html(response.content).find("main").clean_text
    assert list(ann.topics.all()) == []


def test_saving_keeps_a_chosen_topic_that_is_hidden_for_now(
    client: Client, home: HomePage, ann: Subscriber
) -> None:
    """A reader whose topic has no public article just now must not lose that choice (or fall
    back to every topic) by saving the form for something else."""
    article_create(home, "Rovers win", topics=("Sport",))
    article_create(home, "Merger talks", topics=("Takeover",), publish=False)
    sport, takeover = Topic.objects.get(name="Sport"), Topic.objects.get(name="Takeover")
    ann.topics.set([takeover])
    response = client.post(_url(ann), {"frequency": "weekly", "topics": [str(sport.pk)]})
    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.frequency == "weekly"
    assert set(ann.topics.all()) == {sport, takeover}
