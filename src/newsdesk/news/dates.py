"""Dates as machines read them: in ``<time datetime>``, Open Graph, JSON-LD and sitemaps."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def machine_datetime(value: datetime | None) -> str:
    """ISO 8601 to the whole second, in the site's time zone with its offset; "" for None.

    Django's ``|date:"c"`` and ``isoformat()`` keep microseconds, and HTML's ``datetime``
    attribute allows at most three digits of a fraction of a second, so every ``<time>`` of a
    page was invalid. No reader needs sub-second precision of a publication date.
    """
    if value is None:
        return ""
    return timezone.localtime(value).replace(microsecond=0).isoformat()
