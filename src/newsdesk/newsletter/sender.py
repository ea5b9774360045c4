"""The digest sender: every confirmed reader gets a digest once, whatever happens to the process.

The rules (DESIGN.md, "The digest sender"):

- One ``Delivery`` row per (digest, subscriber), unique, created before anything is sent.
- A row is pending until the server has answered 250 for its message; then it is marked sent in
  its own commit. A sender killed at any point leaves pending exactly the rows not yet confirmed,
  so a restart sends those and nothing else. At most the messages in flight at the kill (one per
  connection) can arrive twice; none can be skipped.
- Only one process sends a digest at a time (``sender_lock``), so restarting cannot race a
  sender that is still alive.
- Suppression is checked again when a page of rows is read, moments before sending.
- Subscribers and deliveries are read by keyset pagination and handed to the connections
  through a small bounded queue, so memory stays flat however long the list is.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.urls import reverse
from django.utils import timezone

from newsdesk.newsletter import digests
from newsdesk.newsletter.digest_render import (
    digest_message_template,
    items_for_topics,
    unsubscribe_mailbox,
)
from newsdesk.newsletter.mime import MessageTemplate
from newsdesk.newsletter.models import Delivery, Digest, DigestItem, Subscriber
from newsdesk.newsletter.sender_lock import sender_lock
from newsdesk.newsletter.tokens import token_make
from newsdesk.newsletter.transports import Job, Outcome, Result, Transport, transport_make

logger = logging.getLogger(__name__)

PAGE = 500
# A message the server keeps deferring (4xx) is retried with growing pauses up to this many
# times in one run, then left pending for the next run rather than failing it.
MAX_ATTEMPTS = 6
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 60.0
_STOP = None


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


def _eligible(digest: Digest):
    return Subscriber.objects.filter(
        status=Subscriber.Status.CONFIRMED, paused=False, frequency=digest.edition
    )


def deliveries_enqueue(digest: Digest) -> int:
    """Create the pending rows for every eligible reader; existing rows are left as they are."""
    created = 0
    last = 0
    while True:
        ids = list(
            _eligible(digest)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[: PAGE * 4]
        )
        if not ids:
            return created
        last = ids[-1]
        rows = Delivery.objects.bulk_create(
            [Delivery(digest=digest, subscriber_id=pk) for pk in ids], ignore_conflicts=True
        )
        created += len(rows)


class _Links:
    """What every reader's personal values share, worked out once per run.

    ``reverse()`` and parsing the From address cost more than the rest of a message's
    personalisation together; the URLs differ only in the token, which the URL pattern passes
    through unchanged (``TokenConverter.to_url``), so they are the reversed URL around it.
    """

    SLOT = "TOKENSLOT"

    def __init__(self) -> None:
        self.domain = urlsplit(settings.SITE_URL).hostname or "localhost"
        self.mailbox = unsubscribe_mailbox()
        self.unsubscribe = self._around_token("newsletter:unsubscribe")
        self.preferences = self._around_token("newsletter:preferences")

    def _around_token(self, name: str) -> tuple[str, str]:
        before, after = (settings.SITE_URL + reverse(name, args=[self.SLOT])).split(self.SLOT)
        return before, after

    @staticmethod
    def url(around: tuple[str, str], token: str) -> str:
        return f"{around[0]}{token}{around[1]}"


def _personal_values(
    *, subscriber: Subscriber, digest: Digest, links: _Links | None = None
) -> dict[str, str]:
    links = links or _Links()
    unsubscribe = token_make(subscriber=subscriber, purpose="unsubscribe")
    preferences = token_make(subscriber=subscriber, purpose="preferences")
    return {
        "to": subscriber.email,
        # Derived from the pair, so a message sent twice after a crash carries the same id and
        # mail clients can fold the copies together.
        "message_id": f"digest-{digest.pk}.{subscriber.pk}@{links.domain}",
        "unsubscribe_url": links.url(links.unsubscribe, unsubscribe),
        "preferences_url": links.url(links.preferences, preferences),
        "unsubscribe_mailto": (
            f"mailto:{links.mailbox}?subject={quote('unsubscribe ' + unsubscribe)}"
        ),
    }


class _Templates:
    """One rendering per distinct story selection, made on first use."""

    def __init__(self, digest: Digest) -> None:
        self.digest = digest
        self.items = list(DigestItem.objects.filter(digest=digest).order_by("position"))
        self._by_selection: dict[tuple[int, ...], MessageTemplate | None] = {}

    def for_topics(self, topic_ids: frozenset[int] | None) -> MessageTemplate | None:
        items = items_for_topics(self.items, topic_ids)
        key = tuple(item.pk for item in items)
        if key not in self._by_selection:
            self._by_selection[key] = digest_message_template(self.digest, items) if items else None
        return self._by_selection[key]


def _topic_choices(subscriber_ids: list[int]) -> dict[int, frozenset[int]]:
    through = Subscriber.topics.through
    choices: dict[int, set[int]] = {}
    for subscriber_id, topic_id in through.objects.filter(
        subscriber_id__in=subscriber_ids
    ).values_list("subscriber_id", "topic_id"):
        choices.setdefault(subscriber_id, set()).add(topic_id)
    return {key: frozenset(value) for key, value in choices.items()}


def _jobs(digest: Digest, templates: _Templates, report: SendReport) -> Iterator[Job]:
    """Pending deliveries as jobs, page by page; suppressed readers are marked skipped."""
    links = _Links()
    last = 0
    while True:
        rows = list(
            Delivery.objects.filter(digest=digest, status=Delivery.Status.PENDING, pk__gt=last)
            .select_related("subscriber")
            .only(
                "pk",
                "subscriber__id",
                "subscriber__email",
                "subscriber__email_key",
                "subscriber__status",
                "subscriber__paused",
                "subscriber__frequency",
            )
            .order_by("pk")[:PAGE]
        )
        if not rows:
            return
        last = rows[-1].pk
        choices = _topic_choices([row.subscriber.pk for row in rows])
        skipped: list[int] = []
        for row in rows:
            subscriber = row.subscriber
            template = None
            wanted = (
                subscriber.status == Subscriber.Status.CONFIRMED
                and not subscriber.paused
                and subscriber.frequency == digest.edition
            )
            if wanted:
                template = templates.for_topics(choices.get(subscriber.pk))
            if template is None:
                # Unsubscribed, bounced, paused or switched to the other edition since the rows
                # were made, or nothing in the reader's topics today.
                skipped.append(row.pk)
                continue
            values = _personal_values(subscriber=subscriber, digest=digest, links=links)
            yield Job(row.pk, subscriber.email, template, values)
        if skipped:
            Delivery.objects.filter(pk__in=skipped, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SKIPPED
            )
            for _ in skipped:
                report.add("skipped")


@functools.cache
def _record_sql() -> dict[Outcome, str]:
    """The three UPDATEs of ``_record``, written out once from the model's names."""
    quote = connection.ops.quote_name
    meta = Delivery._meta

    def column(name: str) -> str:
        field = meta.get_field(name)
        # Only concrete fields are named here (not relations seen from the other side), and a
        # concrete field always has a column.
        assert isinstance(field, Field) and field.column is not None, name
        return quote(field.column)

    attempts = f"{column('attempts')} = {column('attempts')} + 1"
    where = f"WHERE {column('id')} = %s AND {column('status')} = %s"
    update = f"UPDATE {quote(meta.db_table)} SET"
    return {
        Outcome.SENT: f"{update} {column('status')} = %s, {column('sent_at')} = %s, {attempts}, "
        f"{column('error')} = %s {where}",
        Outcome.PERMANENT: f"{update} {column('status')} = %s, {attempts}, {column('error')} = %s "
        f"{where}",
        Outcome.RETRY: f"{update} {attempts}, {column('error')} = %s {where}",
    }


def _record(job: Job, outcome: Outcome, detail: str) -> None:
    """One UPDATE of a still-pending row, in autocommit: committed the moment it returns.

    Plain SQL rather than a queryset: building and compiling the ORM's UPDATE cost about a
    quarter of the sender's CPU, once for every message.
    """
    pending = (job.delivery_id, Delivery.Status.PENDING.value)
    if outcome is Outcome.SENT:
        sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
        params: tuple[str | int | None, ...] = (Delivery.Status.SENT.value, sent_at, "", *pending)
    elif outcome is Outcome.PERMANENT:
        params = (Delivery.Status.FAILED.value, detail, *pending)
    else:
        params = (detail, *pending)
    with connection.cursor() as cursor:
        cursor.execute(_record_sql()[outcome], params)


def _relax_commit_sync() -> None:
    """Commit without waiting for the disk, on this thread's connection only.

    The sender is built to survive its own process dying, and a commit the database server has
    accepted survives that whatever these settings say. What they give up is the last commits
    before a power cut (SQLite in WAL mode with synchronous=NORMAL) or a crash of the database
    server itself (PostgreSQL's synchronous_commit=off, at most about three WAL-writer delays
    back, and never a torn or half-applied commit). Losing a "sent" mark means one duplicate
    message, never a skipped reader. Waiting for the disk on every message instead made the
    disk's flush latency the limit of the whole send: on PostgreSQL, 4 connections managed
    about 900 messages/s.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=NORMAL")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")


def _send_one(transport: Transport, job: Job) -> Result:
    """One attempt at one message. A fault in building or sending this message (bad stored
    data, a bug) fails this delivery alone, with its reason, and the edition goes on: one
    reader's message must never stop everybody else's."""
    try:
        return transport.send(job)
    except Exception as error:
        logger.exception("digest delivery %s failed while it was being sent", job.delivery_id)
        return Result(Outcome.PERMANENT, f"internal error: {type(error).__name__}: {error}"[:300])


def _connection_worker(
    jobs: queue.Queue[Job | None],
    make_transport: Callable[[], Transport],
    report: SendReport,
    sleep: Callable[[float], None],
) -> None:
    transport = make_transport()
    _relax_commit_sync()
    try:
        while (job := jobs.get()) is not _STOP:
            backoff = FIRST_BACKOFF
            for attempt in range(1, MAX_ATTEMPTS + 1):
                result = _send_one(transport, job)
                if result.outcome is not Outcome.RETRY:
                    break
                _record(job, Outcome.RETRY, result.detail)
                if attempt < MAX_ATTEMPTS:
                    logger.info("deferred (%s); retrying in %.1f s", result.detail, backoff)
                    sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)
            if result.outcome is Outcome.RETRY:
                report.add("deferred")
                continue
            _record(job, result.outcome, result.detail)
            report.add("sent" if result.outcome is Outcome.SENT else "failed")
    finally:
        transport.close()
        connection.close()


def _hand_over(
    jobs: queue.Queue[Job | None], job: Job | None, workers: list[threading.Thread]
) -> None:
    """Queue a job, unless every connection thread has died (a database error, say): then
    raise instead of waiting forever on a queue nobody reads."""
    while True:
        try:
            jobs.put(job, timeout=1.0)
            return
        except queue.Full:
            if not any(worker.is_alive() for worker in workers):
                raise RuntimeError("every SMTP connection thread stopped") from None


def digest_send(
    digest: Digest,
    *,
    connections: int | None = None,
    make_transport: Callable[[], Transport] = transport_make,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send a frozen digest to every reader who has not had it yet. Safe to run again.

    Raises ``SenderBusy`` when another process is sending this digest.
    """
    report = SendReport()
    connections = connections or settings.NEWSDESK_DIGEST_CONNECTIONS
    with sender_lock(digest.pk):
        digest.refresh_from_db()
        if digest.status != Digest.Status.SENDING:
            return report
        deliveries_enqueue(digest)
        templates = _Templates(digest)
        jobs: queue.Queue[Job | None] = queue.Queue(maxsize=connections * 4)
        workers = [
            threading.Thread(
                target=_connection_worker,
                args=(jobs, make_transport, report, sleep),
                name=f"digest-smtp-{number}",
                daemon=True,
            )
            for number in range(connections)
        ]
        for worker in workers:
            worker.start()
        try:
            for job in _jobs(digest, templates, report):
                _hand_over(jobs, job, workers)
        finally:
            for _ in workers:
                _hand_over(jobs, _STOP, workers)
            for worker in workers:
                worker.join()
        if (
            report.deferred == 0
            and not digest.deliveries.filter(status=Delivery.Status.PENDING).exists()
        ):
            digests.digest_mark_sent(digest)
            digest.refresh_from_db()
    return report
