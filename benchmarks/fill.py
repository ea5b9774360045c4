"""Filling a fresh newsdesk database with generated, published articles, fast.

The publishing service (``article_save``) takes ~30 ms an article: a revision, a tree insert that
locks and re-reads the parent, search indexing and signals, one article at a time. For a
benchmark archive of 10,000 articles this module writes the same rows in bulk instead:

- the ``wagtailcore_page`` rows as treebeard lays out children of the home page (materialised
  ``path`` of 4-character base-36 steps, ``depth`` one below the home page, ``numchild`` 0, the
  home page's ``numchild`` raised by the count), with ``url_path``, locale, content type,
  ``live=True`` and the publication dates;
- the ``news_articlepage`` rows beside them (multi-table inheritance, so Django's
  ``bulk_create`` cannot write both tables at once);
- the topic and author links;
- one published revision per article, set as its latest and live revision, as Wagtail's editor
  expects when someone opens a generated article.

Not done (not on the pages measured): search index entries and the related-stories engine's
lists (``pages.py`` runs ``newsdesk related rebuild`` when that command exists).
The text is generated from a small built-in word list; nothing is copied from anywhere.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.models import get_all_child_relations
from wagtail.models import Page, Revision

from newsdesk.news.models import ArticlePage
from newsdesk.news.services import author_get_or_create, home_page_ensure, topic_get_or_create

# Words every story uses, and each topic's own vocabulary: stories on one topic share words, as
# real ones do, so the related-stories engine finds neighbours (uniform word salad has none).
COMMON = """
town people year week month plan report review meeting decision proposal project cost price
local public new old early late morning evening winter summer spring autumn weekend group
""".split()
TOPIC_WORDS = {
    "Council": "council budget vote councillor mayor election tax levy committee motion cabinet",
    "Business": "shop market trader harbour wage rent retail cafe bakery jobs investment",
    "Sport": "match league season trophy player coach stadium goal rovers cup referee",
    "Environment": "river flood tide coast dune marsh wildlife pollution erosion estuary storm",
    "Culture": "festival lantern parade concert exhibition gallery theatre choir orchestra",
    "Health": "hospital nurse doctor surgery clinic patients ward waiting pharmacy care",
    "Education": "school pupils teacher exam results lesson science college classroom",
    "Transport": "ferry bus train station cycle road bridge traffic parking timetable route",
    "Housing": "homes housing tenants landlord planning estate builder flats affordable",
    "Weather": "rain wind gale frost sunshine forecast temperature snow fog heatwave",
    "History": "heritage museum archive centenary monument anniversary tradition archive",
    "Food": "harvest apples bread cheese kitchen menu chef restaurant farmers orchard",
}
TOPICS = list(TOPIC_WORDS)
VERBS = """
opens closes welcomes approves rejects delays delivers celebrates restores rebuilds launches
names plans reviews questions backs funds wins loses draws hosts marks returns expands
""".split()
FIRST_NAMES = ["Ada", "Ben", "Cara", "Dev", "Elin", "Farid", "Grace", "Hugo", "Ines", "Jon"]
LAST_NAMES = ["Abbott", "Brennan", "Chowdhury", "Duarte", "Evans", "Fischer", "Gallagher"]

BATCH = 500
# SQLite allows 999 bound parameters per statement in older builds; 7 columns x 100 rows fits.
CHILD_ROWS_PER_INSERT = 100


def _sentence(rng: random.Random, vocabulary: list[str], low: int = 8, high: int = 18) -> str:
    words = rng.choices(vocabulary, k=rng.randint(low, high))
    words.insert(rng.randint(1, len(words) - 1), rng.choice(VERBS))
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _title(rng: random.Random, vocabulary: list[str]) -> str:
    words = rng.choices(vocabulary, k=rng.randint(5, 9))
    words.insert(rng.randint(1, 2), rng.choice(VERBS))
    return words[0].capitalize() + " " + " ".join(words[1:])


def _body(rng: random.Random, vocabulary: list[str]) -> str:
    """Four to six headed sections of three paragraphs: 500-900 words, like a news story."""
    parts = []
    for _ in range(rng.randint(4, 6)):
        heading = " ".join(rng.choices(vocabulary, k=rng.randint(2, 4))).capitalize()
        parts.append(f"<h2>{heading}</h2>")
        for _ in range(3):
            sentences = " ".join(_sentence(rng, vocabulary) for _ in range(rng.randint(3, 5)))
            parts.append(f"<p>{sentences}</p>")
    return "".join(parts)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# (random generator, article number) -> (headline, standfirst, body HTML)
ContentMaker = Callable[[random.Random, int], tuple[str, str, str]]


def articles_fill(
    *, count: int, seed: int = 1, now: datetime | None = None, content: ContentMaker | None = None
) -> int:
    """Add ``count`` published articles under the home page; returns the home page's id.

    ``content`` supplies each article's text instead of the built-in word lists.
    """
    rng = random.Random(seed)
    now = now or timezone.now()
    home_id = home_page_ensure(title="The Benchmark Gazette").pk
    topics = [topic_get_or_create(name=name) for name in TOPICS]
    vocabularies = {name: words.split() for name, words in TOPIC_WORDS.items()}
    authors = [
        author_get_or_create(name=f"{first} {last}")
        for first in FIRST_NAMES
        for last in LAST_NAMES[: rng.randint(2, 4)]
    ]
    article_type = ContentType.objects.get_for_model(ArticlePage)
    page_type = ContentType.objects.get_for_model(Page)
    child_fields = ArticlePage._meta.local_concrete_fields
    child_relations = [r.get_accessor_name() for r in get_all_child_relations(ArticlePage)]
    topic_link = ArticlePage.topics.through
    author_link = ArticlePage.authors.through

    with transaction.atomic():
        # Locked for the whole fill: the next free child step comes from numchild.
        home = Page.objects.select_for_update().get(pk=home_id)
        first_step = home.numchild + 1
        # Newest first at ten minutes ago, then one every 1-60 minutes further back.
        published = now - timedelta(minutes=10)
        numbers = list(range(count))
        for batch in _chunks(numbers, BATCH):
            articles: list[ArticlePage] = []
            for number in batch:
                chosen = rng.sample(topics, rng.choice((1, 1, 2)))
                # Mostly the topics' own words, some common ones (a list weighted by repetition).
                vocabulary = COMMON + [w for t in chosen for w in vocabularies[t.name]] * 2
                if content is not None:
                    title, dek, body = content(rng, number)
                else:
                    title = _title(rng, vocabulary)
                    dek, body = _sentence(rng, vocabulary, 14, 24), _body(rng, vocabulary)
                slug = f"{slugify(title)[:80].strip('-')}-{number + 1}"
                article = ArticlePage(
                    title=title,
                    draft_title=title,
                    slug=slug,
                    path=Page._get_path(home.path, home.depth + 1, first_step + number),
                    depth=home.depth + 1,
                    numchild=0,
                    url_path=f"{home.url_path}{slug}/",
                    content_type=article_type,
                    locale_id=home.locale_id,
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=published,
                    last_published_at=published,
                    latest_revision_created_at=published,
                    dek=dek,
                    body=body,
                    import_source="benchmark",
                    import_external_id=str(number + 1),
                )
                # In-memory links (modelcluster), so the revision below serialises them too.
                article.topics = chosen
                article.authors = rng.sample(authors, rng.choice((1, 1, 1, 2)))
                # A new article has no comments, pins etc.: say so in memory, or serialising it
                # for the revision would query each child relation.
                for relation in child_relations:
                    setattr(article, relation, [])
                articles.append(article)
                published -= timedelta(minutes=rng.randint(1, 60))

            # Parent rows first; the returned ids are the child rows' primary keys.
            Page.objects.bulk_create(articles)
            for article in articles:
                article.page_ptr_id = article.id
            for rows in _chunks(articles, CHILD_ROWS_PER_INSERT):
                ArticlePage._base_manager._insert(list(rows), fields=child_fields)
            topic_link.objects.bulk_create(
                topic_link(articlepage_id=a.pk, topic_id=t.pk)
                for a in articles
                for t in a.topics.all()
            )
            author_link.objects.bulk_create(
                author_link(articlepage_id=a.pk, author_id=p.pk)
                for a in articles
                for p in a.authors.all()
            )
            Revision.objects.bulk_create(
                Revision(
                    content_type=article_type,
                    base_content_type=page_type,
                    object_id=str(a.pk),
                    created_at=a.first_published_at,
                    object_str=a.title,
                    content=a.serializable_data(),
                )
                for a in articles
            )
        Page.objects.filter(pk=home.pk).update(numchild=F("numchild") + count)
        revision = Revision.objects.filter(
            base_content_type=page_type, object_id=Cast(OuterRef("pk"), CharField())
        ).order_by("-pk")
        Page.objects.filter(content_type=article_type, latest_revision__isnull=True).update(
            latest_revision_id=Subquery(revision.values("pk")[:1]),
            live_revision_id=Subquery(revision.values("pk")[:1]),
        )
    return home_id


def tree_problems() -> list[str]:
    """What treebeard's own consistency check finds wrong with the page tree (nothing, we hope)."""
    names = ["evil characters", "bad step length", "orphans", "wrong depth", "wrong numchild"]
    return [
        f"{name}: {ids[:10]}" for name, ids in zip(names, Page.find_problems(), strict=True) if ids
    ]
