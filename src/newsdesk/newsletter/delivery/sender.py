"""The digest sender: every confirmed reader gets a digest once, whatever happens to the process.

The rules (docs/newsletter.md, "The digest sender"):

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
- Every run ends: a reader whose server keeps deferring is tried a few times, then again in
  later runs with growing pauses, and fails with the server's last reply once the edition is
  NEWSDESK_DIGEST_RETRY_HOURS old. When the mail system itself keeps failing (no connection,
  refused login, the ESP down), the run stops at once, leaves the rows pending for the next
  round, and records why on the digest for the admin.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from newsdesk.mail.mime import MessageTemplate
from newsdesk.mail.transports import Job, Outcome, Result, Transport, transport_make
from newsdesk.newsletter.delivery.circuit import Circuit
from newsdesk.newsletter.delivery.lock import sender_lock
from newsdesk.newsletter.delivery.rows import (
    PAGE,
    deliveries_enqueue,
    delivery_record,
    relax_commit_sync,
)
from newsdesk.newsletter.digests.render import (
    digest_message_template,
    items_for_topics,
    unsubscribe_mailbox,
)
from newsdesk.newsletter.digests.services import digest_mark_sent, digest_problem_record
from newsdesk.newsletter.models import Delivery, Digest, DigestItem, Subscriber
from newsdesk.newsletter.subscriptions.tokens import token_make

logger = logging.getLogger(__name__)

# A message the server defers (4xx) is tried this many times in one run, with pauses that
# start at FIRST_BACKOFF and double; then the reader waits for a later run (DEFER_DELAYS).
MAX_ATTEMPTS = 3
FIRST_BACKOFF = 0.5
# How long a deferred reader waits before the next run tries again: after the first run's tries,
# the second's, …; the last delay repeats until the edition is too old to keep trying.
DEFER_DELAYS = tuple(timedelta(minutes=m) for m in (1, 5, 15, 30, 60))
_STOP = None


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0  # waiting for a later run
    stopped: str = ""  # why the run stopped early, if it did
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)

    def move(self, source: str, target: str, count: int) -> None:
        with self.lock:
            setattr(self, source, getattr(self, source) - count)
            setattr(self, target, getattr(self, target) + count)

    def summary(self) -> str:
        text = (
            f"sent {self.sent}, failed {self.failed}, skipped {self.skipped}, "
            f"deferred {self.deferred}"
        )
        return f"{text}; stopped: {self.stopped}" if self.stopped else text


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
            self._by_selection[key] = (
                digest_message_template(
                    self.digest, items, every_story=len(items) == len(self.items)
                )
                if items
                else None
            )
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
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()))
            .select_related("subscriber")
            .only(
                "pk",
                "attempts",
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
            yield Job(row.pk, subscriber.email, template, values, row.attempts)
        if skipped:
            Delivery.objects.filter(pk__in=skipped, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SKIPPED
            )
            for _ in skipped:
                report.add("skipped")


def _send_one(transport: Transport, job: Job) -> Result:
    """One attempt at one message. A fault in building or sending this message (bad stored
    data, a bug) fails this delivery alone, with its reason, and the edition goes on: one
    reader's message must never stop everybody else's."""
    try:
        return transport.send(job)
    except Exception as error:
        logger.exception("digest delivery %s failed while it was being sent", job.delivery_id)
        return Result(Outcome.PERMANENT, f"internal error: {type(error).__name__}: {error}"[:300])


@dataclass(frozen=True)
class _RunRules:
    give_up_at: datetime  # a reader still deferred after this fails with the last reply
    sleep: Callable[[float], None]


def _deferred_until(tries_before: int, tries_now: int) -> datetime:
    runs = (tries_before + tries_now) // MAX_ATTEMPTS
    return timezone.now() + DEFER_DELAYS[min(max(runs - 1, 0), len(DEFER_DELAYS) - 1)]


def _send_with_retries(
    transport: Transport, job: Job, circuit: Circuit, rules: _RunRules
) -> tuple[Result | None, int]:
    """Up to MAX_ATTEMPTS tries of one message; the last result (None: the run was stopping)
    and how many tries the reader's server deferred."""
    backoff = FIRST_BACKOFF
    deferred = 0
    result: Result | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if circuit.open.is_set():
            return None, deferred
        result = _send_one(transport, job)
        if result.outcome is Outcome.UNAVAILABLE:
            circuit.failure(result.detail)
            delivery_record(job, Outcome.UNAVAILABLE, result.detail)
        else:
            circuit.success()
            if result.outcome is not Outcome.RETRY:
                return result, deferred
            deferred += 1
            if attempt < MAX_ATTEMPTS:  # the last try is recorded by the caller, with its outcome
                delivery_record(job, Outcome.RETRY, result.detail)
        if attempt < MAX_ATTEMPTS:
            logger.info("not sent (%s); trying again in %.1f s", result.detail, backoff)
            rules.sleep(backoff)
            backoff *= 2
    return result, deferred


def _connection_worker(
    jobs: queue.Queue[Job | None],
    make_transport: Callable[[], Transport],
    report: SendReport,
    circuit: Circuit,
    rules: _RunRules,
) -> None:
    transport = make_transport()
    relax_commit_sync()
    try:
        while (job := jobs.get()) is not _STOP:
            result, deferred = _send_with_retries(transport, job, circuit, rules)
            if result is None or result.outcome is Outcome.UNAVAILABLE:
                report.add("deferred")  # pending, for the next round
            elif result.outcome is Outcome.RETRY:
                if timezone.now() >= rules.give_up_at:
                    tries = job.attempts + deferred
                    reason = f"gave up after {tries} deferrals: {result.detail}"[:300]
                    delivery_record(job, Outcome.PERMANENT, reason)
                    report.add("failed")
                else:
                    until = _deferred_until(job.attempts, deferred)
                    delivery_record(job, Outcome.RETRY, result.detail, next_attempt_at=until)
                    report.add("deferred")
            else:
                delivery_record(job, result.outcome, result.detail)
                if result.outcome is Outcome.SENT:
                    circuit.sent()
                    report.add("sent")
                    continue
                report.add("failed")
                # Replies that name the address are alike once it is taken out.
                wrongly_failed = circuit.refused(
                    job.delivery_id, result.detail.replace(job.email, "<address>")
                )
                if wrongly_failed:
                    Delivery.objects.filter(
                        pk__in=wrongly_failed, status=Delivery.Status.FAILED
                    ).update(status=Delivery.Status.PENDING)
                    report.move("failed", "deferred", len(wrongly_failed))
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
    """Send a frozen digest to every reader who has not had it yet and whose turn it is. Safe to
    run again.

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
        frozen_at = digest.frozen_at or timezone.now()
        rules = _RunRules(
            give_up_at=frozen_at + timedelta(hours=settings.NEWSDESK_DIGEST_RETRY_HOURS),
            sleep=sleep,
        )
        circuit = Circuit()
        jobs: queue.Queue[Job | None] = queue.Queue(maxsize=connections * 4)
        workers = [
            threading.Thread(
                target=_connection_worker,
                args=(jobs, make_transport, report, circuit, rules),
                name=f"digest-smtp-{number}",
                daemon=True,
            )
            for number in range(connections)
        ]
        for worker in workers:
            worker.start()
        try:
            for job in _jobs(digest, templates, report):
                if circuit.open.is_set():
                    break  # the rest stay pending for the next round
                _hand_over(jobs, job, workers)
        finally:
            for _ in workers:
                _hand_over(jobs, _STOP, workers)
            for worker in workers:
                worker.join()
        if circuit.open.is_set():
            report.stopped = circuit.reason
            logger.warning("%s: sending stopped, will try again: %s", digest, circuit.reason)
            digest_problem_record(digest, circuit.reason)
        else:
            digest_problem_record(digest, circuit.unresolved())
            if not digest.deliveries.filter(status=Delivery.Status.PENDING).exists():
                digest_mark_sent(digest)
        digest.refresh_from_db()
    return report
