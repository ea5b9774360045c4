"""Subscribers and their consent, the rate limiter, digests, deliveries and bounces."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.models import Orderable


class OwedEmail(models.TextChoices):
    CONFIRM = "confirm", "Confirmation"
    ALREADY = "already", "Already subscribed"
    WELCOME = "welcome", "Welcome"


class Subscriber(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    # The address as the reader first typed it (after email-validator's normalisation), for
    # sending; ``email_key`` says which mailbox it is (``addresses.address_key``: ASCII case and
    # the domain's case ignored, nothing else) and carries the uniqueness, so "Ann@X.org" and
    # "ann@x.org" are one subscriber but "ſam@x.org" and "sam@x.org" are two.
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=254, unique=True, editable=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    # No topics chosen means every topic.
    topics = models.ManyToManyField("news.Topic", blank=True, related_name="subscribers")
    paused = models.BooleanField(default=False, help_text="Keep the subscription, send nothing.")
    # What another platform knew of the reader (a Ghost member's name and labels), kept when a
    # list is imported; nothing here is used to send.
    name = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True, help_text="Where this reader came from, labels, remarks.")
    # ``default`` rather than ``auto_now_add``, so an imported reader keeps the date they first
    # subscribed on the platform they came from.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # When the last signup email (confirmation or "already subscribed") went out: a new signup
    # sends another only a day later, so the form cannot be used to flood someone's inbox.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The one email this subscriber is owed and not yet sent (``signup_emails``): written in the
    # same transaction as the signup or confirmation that calls for it, so a process that dies
    # before sending leaves it owed, and the worker (or the next signup) sends it.
    email_owed = models.CharField(
        max_length=8, choices=OwedEmail.choices, blank=True, editable=False
    )
    # When it may next be tried: now, after a failed try's back-off, or after a sender's lease.
    email_owed_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    # The last failure to send it ("gave up after …" once the retries are spent).
    email_error = models.CharField(max_length=300, blank=True, editable=False)

    # No status here: it changes only through the services (a reader's own confirmation, an
    # unsubscribe, a provider's bounce report), so the admin cannot re-confirm a suppressed
    # address or skip the consent record; the inspect page offers "Unsubscribe".
    panels = [
        FieldPanel("frequency"),
        FieldPanel("topics"),
        FieldPanel("name"),
        FieldPanel("note"),
        FieldPanel("paused"),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        # The worker's sweep for owed emails that are due.
        indexes = [models.Index(fields=["email_owed", "email_owed_at"], name="subscriber_owed")]

    def __str__(self) -> str:
        return self.email


class Consent(models.Model):
    """The consent history, one row per event and never rewritten: who asked to subscribe
    (when, how, from which address and IP, and the exact words shown), who confirmed from their
    mailbox, who unsubscribed and who was suppressed."""

    class Action(models.TextChoices):
        SIGNUP = "signup", "Asked to subscribe"
        CONFIRM = "confirm", "Confirmed from their mailbox"
        UNSUBSCRIBE = "unsub", "Unsubscribed"
        SUPPRESS = "suppress", "Suppressed (bounce or complaint)"

    class Method(models.TextChoices):
        FORM = "form", "Signup form"
        IMPORT = "import", "Import"
        ADMIN = "admin", "Admin"
        LINK = "link", "Link in an email"
        PROVIDER = "provider", "Mail provider"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    created_at = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=8, choices=Action.choices, default=Action.SIGNUP)
    method = models.CharField(max_length=8, choices=Method.choices)
    # The address the event came from or went to, as it was then.
    email = models.CharField(max_length=254, blank=True)
    text = models.TextField(help_text="The form text shown, or what happened.")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"{self.get_action_display()} ({self.get_method_display()}), {when}"


class RateLimitBucket(models.Model):
    """One fixed window of a rate limit: how many hits ``key`` made since ``window_start``.

    Keys are hashes, so the table holds no addresses or IPs in the clear.
    """

    key = models.CharField(max_length=64)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window")
        ]

    def __str__(self) -> str:
        return f"{self.key[:12]}… {self.count} since {self.window_start:%H:%M}"


class Digest(ClusterableModel):
    """One edition of the newsletter: the daily (or weekly) email and its public web page.

    An editor may create the digest for a coming date ahead of time to write an intro and pick
    stories; at the send time the scheduler takes that row (or creates it), freezes the list of
    stories in ``DigestItem`` rows and the subject, and the sender works from the frozen copy, so
    a restarted sender sends exactly what the first one did.
    """

    class Edition(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (not frozen yet)"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (no new stories)"

    edition = models.CharField(max_length=8, choices=Edition.choices, default=Edition.DAILY)
    date = models.DateField(help_text="The day this edition goes out (in the site's time zone).")
    intro = models.TextField(
        blank=True,
        max_length=2000,
        help_text="A short note from the editors, shown above the stories. Plain text.",
    )
    subject = models.CharField(max_length=200, blank=True, editable=False)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    # The stories are those published in [period_start, period_end); both are fixed on freezing.
    period_start = models.DateTimeField(null=True, blank=True, editable=False)
    period_end = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    frozen_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why the last sending run stopped early (the mail server unreachable, refused logins, …),
    # shown in the admin; cleared by a run that gets through.
    send_problem = models.CharField(max_length=300, blank=True, editable=False)
    send_problem_at = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [
        FieldPanel("edition"),
        FieldPanel("date"),
        FieldPanel("intro"),
        InlinePanel("picks", label="Editor's picks", heading="Editor's picks (shown first)"),
    ]

    class Meta:
        ordering = ["-date", "edition"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "date"], name="digest_edition_date")
        ]

    def __str__(self) -> str:
        return f"{self.get_edition_display()} digest, {self.date:%Y-%m-%d}"

    def clean(self) -> None:
        super().clean()
        if self.pk and self.status != self.Status.DRAFT:
            # What went out is a record: its web page and counts must match the emails.
            raise ValidationError("This edition has been frozen for sending; it cannot change.")


class DigestPick(Orderable):
    """A story an editor put at the top of a digest, in the editor's order."""

    digest = ParentalKey(Digest, on_delete=models.CASCADE, related_name="picks")
    article = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("article")]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["digest", "article"], name="digest_pick_unique")
        ]


IMAGE_URL_MAX_LENGTH = 500


class DigestItem(models.Model):
    """A story as it went out in a frozen digest (copied, so later edits do not change it)."""

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    article = models.ForeignKey(
        "news.ArticlePage", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    picked = models.BooleanField(default=False)
    title = models.CharField(max_length=255)
    summary = models.TextField(blank=True)
    url = models.URLField(max_length=500)
    topic_ids = models.JSONField(default=list)
    topic_names = models.CharField(max_length=255, blank=True)
    first_published_at = models.DateTimeField(null=True)
    # The featured image as sent: an absolute rendition URL and its alt text ("" when the
    # article has no image, or its file could not be read at the freeze).
    image_url = models.URLField(max_length=IMAGE_URL_MAX_LENGTH, blank=True)
    image_alt = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["digest", "position"]
        constraints = [
            models.UniqueConstraint(fields=["digest", "position"], name="digest_item_position")
        ]

    def __str__(self) -> str:
        return self.title


class Delivery(models.Model):
    """One subscriber's copy of one digest. The unique pair is what makes resending safe."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed permanently"
        SKIPPED = "skipped", "Skipped (suppressed or nothing in their topics)"

    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The server's last reply for a failure ("550 5.1.1 no such user"), cut to fit.
    error = models.CharField(max_length=300, blank=True)
    # A reader whose server keeps deferring waits until then before the next run tries again.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["digest", "subscriber"], name="delivery_unique_pair")
        ]
        # The sender walks a digest's pending rows in id order (keyset pagination).
        indexes = [models.Index(fields=["digest", "status", "id"], name="delivery_walk")]

    def __str__(self) -> str:
        return f"{self.digest} → subscriber {self.subscriber_id}: {self.status}"


class BounceEvent(models.Model):
    """A bounce or complaint reported by the mail provider (anymail's tracking webhooks)."""

    class Kind(models.TextChoices):
        HARD = "hard", "Hard bounce"
        SOFT = "soft", "Soft bounce"
        COMPLAINT = "complaint", "Complaint"

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="bounce_events"
    )
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="bounce_events"
    )
    kind = models.CharField(max_length=9, choices=Kind.choices)
    # The provider's event id: webhooks are retried, so one event must count once.
    event_id = models.CharField(max_length=200, unique=True)
    occurred_at = models.DateTimeField()
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["subscriber", "kind", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for subscriber {self.subscriber_id}"
