"""django-axes' database handler with newsdesk's lock lengths (``AXES_HANDLER``).

axes itself keeps recording failures (its rows and its transaction); this subclass changes what
counts as locked, what is cleaned up, and what a successful sign-in forgets.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.http import HttpRequest
from django.utils import timezone

from newsdesk.accounts.lockouts import MAX_LOCKOUT, request_lockout


class GrowingLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """The failure count behind the lock in force, or 0 when there is none: axes compares
        this with the limit both before checking a password and after recording a failure."""
        lock = request_lockout(request, credentials)
        return lock.failures if lock is not None else 0

    def clean_expired_user_attempts(
        self, request: HttpRequest | None = None, credentials: dict[str, Any] | None = None
    ) -> int:
        """axes deletes rows older than the cool-off of the request at hand, which would end
        other clients' longer locks early; here locks differ in length, so only rows that no
        lock or count can need any more (older than the longest lock) are deleted."""
        stale = AccessAttempt.objects.filter(attempt_time__lt=timezone.now() - MAX_LOCKOUT)
        count, _ = stale.delete()
        return count

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """After a successful sign-in, forget that person's own mistakes: the failures for this
        username from this address. Failures from other addresses stay (they may be a guesser's,
        who must not get fresh guesses because the real user signed in), and so do this
        address's failures for other usernames."""
        super().user_logged_in(sender, request, user, **kwargs)
        AccessAttempt.objects.filter(
            username=user.get_username(),
            ip_address=request.axes_ip_address,  # type: ignore[attr-defined]
        ).delete()
