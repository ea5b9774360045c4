"""Subscribers, their consent records, and the database-backed rate limiter."""

from __future__ import annotations

from django.db import models
from wagtail.admin.panels import FieldPanel


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

    # The address as the reader typed it (after email-validator's normalisation), for sending;
    # ``email_key`` is its case-folded form and carries the uniqueness, so "Ann@X.org" and
    # "ann@x.org" are one subscriber.
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=254, unique=True, editable=False)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    # No topics chosen means every topic.
    topics = models.ManyToManyField("news.Topic", blank=True, related_name="subscribers")
    paused = models.BooleanField(default=False, help_text="Keep the subscription, send nothing.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the last signup email (confirmation or "already subscribed") went out: a new signup
    # sends another only a day later, so the form cannot be used to flood someone's inbox.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    unsubscribed_at = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [
        FieldPanel("status"),
        FieldPanel("frequency"),
        FieldPanel("topics"),
        FieldPanel("paused"),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.email


class Consent(models.Model):
    """Proof of consent: when, how, and the exact words the reader agreed to."""

    class Method(models.TextChoices):
        FORM = "form", "Signup form"
        IMPORT = "import", "Import"
        ADMIN = "admin", "Admin"

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    created_at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=8, choices=Method.choices)
    text = models.TextField(help_text="The form text shown when the reader subscribed.")
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} consent, {self.created_at:%Y-%m-%d %H:%M}"


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
