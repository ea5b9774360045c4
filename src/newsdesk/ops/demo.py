"""The demo publication: sample articles written for newsdesk, and an admin login."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from datetime import timedelta
from importlib import resources
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from newsdesk.importers.jsonl import parse_record
from newsdesk.news.indexing import indexing_deferred
from newsdesk.news.models import ArticlePage, Topic
from newsdesk.news.services import (
    ArticleInput,
    article_save,
    home_page_ensure,
    plain_page_save,
)
from newsdesk.newsletter.digests.services import digest_ensure, send_time
from newsdesk.newsletter.models import Digest, DigestPick
from newsdesk.ops.demo_images import topic_picture_ensure
from newsdesk.related.triggers import refresh_deferred

DEMO_SOURCE = "demo"
ADMIN_USERNAME = "admin"
TOPIC_DESCRIPTIONS = {
    "Council": "Decisions, budgets and elections at Harrowgate Bay Town Council.",
    "Business": "Shops, the harbour economy and the people who make the town work.",
    "Sport": "Harrowgate Bay Rovers and every club in town.",
    "Environment": "The River Wend, the coast and the flood defences.",
    "Culture": "The arts festival, music, theatre and the town's history.",
    "Health": "The hospital, GP surgeries and care in the community.",
    "Education": "Schools, results and the new science block.",
}


def demo_articles_path() -> Path:
    return Path(str(resources.files("newsdesk.demo").joinpath("articles.jsonl")))


def demo_content_load() -> int:
    """Load the sample articles once; dates are relative to the first load. Returns how many."""
    if ArticlePage.objects.filter(import_source=DEMO_SOURCE).exists():
        return 0
    with refresh_deferred(), transaction.atomic(), indexing_deferred():
        return _demo_articles_save()


def _demo_articles_save() -> int:
    home = home_page_ensure()
    if not home.intro:
        home.intro = "News from Harrowgate Bay, on the coast where the River Wend meets the sea"
        home.save_revision().publish()
    now = timezone.now()
    path = demo_articles_path()
    count = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        days_ago = float(record.pop("days_ago"))
        record["published"] = (now - timedelta(days=days_ago)).isoformat()
        data = parse_record(path, number, record)
        image, alt = topic_picture_ensure(data.topics[0] if data.topics else "")
        data = dataclasses.replace(
            data, source=DEMO_SOURCE, featured_image_id=image.pk, featured_image_alt=alt
        )
        article_save(data=data, publish=True, home=home)
        count += 1
    for name, description in TOPIC_DESCRIPTIONS.items():
        Topic.objects.filter(name=name, description="").update(description=description)
    plain_page_save(data=ABOUT_PAGE, publish=True, home=home)
    return count


# A plain page, which every page's footer links (Pages → the home page → "About" in the admin).
ABOUT_PAGE = ArticleInput(
    title="About us",
    slug="about",
    source=DEMO_SOURCE,
    external_id="about",
    body_html=(
        "<h2>Who we are</h2><p>A demonstration newsroom covering the fictional town of "
        "Harrowgate Bay: its council, harbour, schools and sport. Every story here is sample "
        "content written for newsdesk.</p>"
        "<h2>Get the news</h2><p>Sign up for the daily newsletter in the sidebar, or follow "
        "by RSS or Atom.</p>"
        "<h2>Contact</h2><p>Write to the newsroom at news@example.org.</p>"
    ),
)


def demo_admin_ensure() -> tuple[str, str]:
    """The demo's admin user and its password, kept in the data directory for later runs."""
    password_file = Path(settings.DATA_DIR) / "demo-admin-password"
    if password_file.exists():
        password = password_file.read_text(encoding="utf-8").strip()
    else:
        password = secrets.token_urlsafe(12)
        password_file.write_text(password, encoding="utf-8")
        password_file.chmod(0o600)
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=ADMIN_USERNAME, defaults={"email": "admin@example.org"}
    )
    user.is_staff = user.is_superuser = True
    user.set_password(password)
    user.save()
    return ADMIN_USERNAME, password


DIGEST_DELAY = timedelta(minutes=10)


def demo_digest_time() -> dt.time:
    """When the demo's daily edition goes out: a few minutes after the demo starts (to the
    minute), so a reader who subscribes while trying it gets that day's edition."""
    now = timezone.localtime()
    soon = now + DIGEST_DELAY
    if soon.date() != now.date():
        # Just before midnight: the last minute of today (tomorrow's 00:05 would already have
        # passed today, and the edition would go out at once).
        return dt.time(23, 59)
    return soon.time().replace(second=0, microsecond=0)


def demo_digest_ensure() -> Digest | None:
    """A draft of the next daily edition with an intro and three picks, so the demo's admin can
    preview it, send a test and send it to readers at once (Digests → Preview, test and counts).

    Skipped once that edition exists, so an editor's own changes are kept.
    """
    now = timezone.localtime()
    date = now.date() if now < send_time(now.date()) else now.date() + timedelta(days=1)
    if Digest.objects.filter(edition=Digest.Edition.DAILY, date=date).exists():
        return None
    newest = list(ArticlePage.objects.published().newest_first()[:3])
    if not newest:
        return None
    digest = digest_ensure(edition=Digest.Edition.DAILY, date=date)
    digest.intro = "Good morning from the newsroom. Here is what Harrowgate Bay is reading."
    digest.save(update_fields=["intro"])
    for order, article in enumerate(newest):
        DigestPick.objects.create(digest=digest, article=article, sort_order=order)
    return digest
