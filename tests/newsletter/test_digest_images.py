"""Featured images in the digest: frozen with the edition, shown with their alt text for the
first stories, and never a reason for an edition not to go out."""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.images import ImageFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image as PillowImage
from wagtail.images import get_image_model

from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.delivery.sender import digest_send
from newsdesk.newsletter.digests.render import LEAD_IMAGES, digest_html
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze, digest_selection
from newsdesk.newsletter.models import Digest, DigestItem, Subscriber
from tests.helpers import parse_html
from tests.newsletter.conftest import Mailbox

# The sender writes from its own threads, which see only committed rows; serialized_rollback
# brings back the page tree root that migrations create, which a flush would remove.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _send_time_soon(settings: Any) -> None:
    """Today's edition goes out in five minutes, so stories from the last hours are in it."""
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)


def _today() -> Digest:
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    return digest_ensure(edition=Digest.Edition.DAILY, date=soon.date())


def picture(title: str, kind: str = "PNG") -> Any:
    """A real image stored through Wagtail, 1600 × 900 like a news photo."""
    buffer = io.BytesIO()
    PillowImage.new("RGB", (1600, 900), (40, 90, 140)).save(buffer, kind)
    name = f"{title.lower().replace(' ', '-')}.{kind.lower()}"
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=name))


def illustrated(
    make_article: Callable[..., ArticlePage], title: str, alt: str, hours: int, kind: str = "PNG"
) -> ArticlePage:
    article = make_article(title, age=dt.timedelta(hours=hours))
    ArticlePage.objects.filter(pk=article.pk).update(
        featured_image=picture(title, kind), featured_image_alt=alt
    )
    return ArticlePage.objects.get(pk=article.pk)


def images_of(html: str) -> list[dict[str, str]]:
    return [element.attrs for element in parse_html(html).find_all("img")]


def test_the_email_shows_the_featured_image_with_its_alt_text(
    mailbox: Mailbox, make_article: Callable[..., ArticlePage]
) -> None:
    illustrated(make_article, "Harbour wall repairs begin", "Cranes lift stone blocks", hours=1)
    make_article("Ferry timetable changes", age=dt.timedelta(hours=2))
    Subscriber.objects.create(
        email="ann@example.org", email_key="ann@example.org", status=Subscriber.Status.CONFIRMED
    )
    digest_send(digest_freeze(_today()))

    (received,) = mailbox.received
    (image,) = images_of(received.html())
    assert image["alt"] == "Cranes lift stone blocks"
    # An email is read away from the site: the address must be absolute.
    assert image["src"].startswith("http://testserver/media/images/")
    assert image["width"] == "568"
    # The picture is fetchable where the email points: a 1200 × 675 JPEG.
    path = image["src"].removeprefix("http://testserver")
    (stored,) = get_image_model().objects.get().renditions.all()
    assert path == stored.url and stored.file.storage.exists(stored.file.name)
    assert (stored.width, stored.height) == (1200, 675)
    with stored.file.open("rb") as data:
        assert PillowImage.open(data).format == "JPEG"
    # The plain-text part has no picture, and no empty line where one would be.
    assert "<img" not in received.text() and "media/images" not in received.text()


def test_only_the_first_stories_show_their_pictures(
    make_article: Callable[..., ArticlePage],
) -> None:
    for hours in range(1, LEAD_IMAGES + 3):
        illustrated(make_article, f"Story {hours}", f"Picture for story {hours}", hours=hours)
    digest = digest_freeze(_today())
    items = list(digest.items.order_by("position"))
    assert all(item.image_url for item in items)

    shown = [image["alt"] for image in images_of(digest_html(digest, items))]
    assert shown == [f"Picture for story {hours}" for hours in range(1, LEAD_IMAGES + 1)]


def test_the_frozen_picture_stays_when_the_article_loses_its_image(
    make_article: Callable[..., ArticlePage],
) -> None:
    article = illustrated(make_article, "Bridge reopens", "The bridge at dusk", hours=1)
    digest = digest_freeze(_today())
    ArticlePage.objects.filter(pk=article.pk).update(featured_image=None, featured_image_alt="")

    (item,) = DigestItem.objects.filter(digest=digest)
    assert item.image_alt == "The bridge at dusk"
    page = Client().get(f"/newsletter/{digest.date.isoformat()}/")
    (image,) = images_of(page.content.decode())
    assert image["alt"] == "The bridge at dusk" and image["src"] == item.image_url


def test_a_missing_image_file_does_not_stop_the_edition(
    make_article: Callable[..., ArticlePage], caplog: pytest.LogCaptureFixture
) -> None:
    article = illustrated(make_article, "Market hall fire", "Smoke over the roofs", hours=1)
    make_article("School term dates set", age=dt.timedelta(hours=2))
    original = article.featured_image.file
    original.storage.delete(original.name)

    with caplog.at_level(logging.WARNING, logger="newsdesk.newsletter.digests.services"):
        digest = digest_freeze(_today())

    assert digest.status == Digest.Status.SENDING
    titles = {item.title: item for item in digest.items.all()}
    assert set(titles) == {"Market hall fire", "School term dates set"}
    assert titles["Market hall fire"].image_url == ""
    assert images_of(digest_html(digest, list(digest.items.order_by("position")))) == []
    assert f"no image for article {article.pk}" in caplog.text


def test_pictures_cost_no_query_per_story(make_article: Callable[..., ArticlePage]) -> None:
    """Selecting an edition reads images and their renditions in a fixed number of queries."""
    digest = _today()

    def queries_for_selection() -> int:
        digest_selection(digest)  # makes any missing rendition first
        with CaptureQueriesContext(connection) as captured:
            digest_selection(digest)
        return len(captured)

    illustrated(make_article, "First story", "First picture", hours=1)
    illustrated(make_article, "Second story", "Second picture", hours=2)
    with_two = queries_for_selection()
    for hours in range(3, 8):
        illustrated(make_article, f"Story {hours}", f"Picture {hours}", hours=hours)
    assert queries_for_selection() == with_two


def test_a_webp_image_goes_out_as_jpeg(make_article: Callable[..., ArticlePage]) -> None:
    """Outlook shows no WebP: the email's picture is a JPEG whatever was uploaded."""
    illustrated(make_article, "Ferry returns", "The ferry at the quay", hours=1, kind="WEBP")
    (item,) = digest_freeze(_today()).items.all()
    assert item.image_url.endswith(".jpg"), item.image_url
    assert item.image_alt == "The ferry at the quay"


def test_an_image_address_too_long_to_store_is_left_out(
    make_article: Callable[..., ArticlePage], settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    illustrated(make_article, "Harbour lights", "Lights along the quay", hours=1)
    # Long enough that the picture's address (the site's plus about 80 characters of rendition
    # path) no longer fits in 500, while the story's own link still does.
    settings.SITE_URL = "https://" + "very-long-" * 43 + "example.org"
    assert 440 < len(settings.SITE_URL) < 460
    with caplog.at_level(logging.WARNING, logger="newsdesk.newsletter.digests.services"):
        digest = digest_freeze(_today())
    (item,) = digest.items.all()
    assert (item.title, item.image_url, item.image_alt) == ("Harbour lights", "", "")
    assert "image address too long" in caplog.text
