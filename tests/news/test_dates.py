"""Dates for machines: whole seconds in the site's time zone, valid in HTML's ``datetime``.

The Nu Html Checker test (tests/test_valid_html.py) needs Java; these keep the rule tested on a
machine without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from newsdesk.news.dates import machine_datetime
from newsdesk.news.models import ArticlePage
from tests.helpers import parse_html

# HTML's "valid global date and time string" as newsdesk writes it: no fraction, an offset.
WHOLE_SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")


def test_microseconds_are_dropped_and_the_offset_kept() -> None:
    moment = datetime(2026, 12, 3, 8, 53, 45, 198813, tzinfo=UTC)
    with override_settings(TIME_ZONE="Europe/Paris"), timezone.override("Europe/Paris"):
        assert machine_datetime(moment) == "2026-12-03T09:53:45+01:00"
    assert datetime.fromisoformat(machine_datetime(moment)) == moment.replace(microsecond=0)


def test_no_date_gives_no_text() -> None:
    assert machine_datetime(None) == ""


@pytest.mark.django_db
def test_every_time_element_of_the_pages_is_to_the_whole_second(
    client: Client, make_article: Callable[..., ArticlePage]
) -> None:
    make_article("Ferry timetable changes")
    article = make_article("Harbour wall repairs begin")
    for url in ("/", article.url, "/topics/council/", "/authors/maya-okafor/"):
        times = parse_html(client.get(url).content).find_all("time")
        assert times, url
        for element in times:
            assert WHOLE_SECONDS.match(element.attrs["datetime"]), (url, element.attrs)
