"""Turns ``PasswordCheckBusy`` from the password hasher into a "try again" page (503)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from newsdesk.accounts.hashers import PasswordCheckBusy
from newsdesk.accounts.responses import busy_response


class PasswordCheckBusyMiddleware:
    """Wherever a password is checked (Wagtail's sign-in, Django's admin, a password change),
    a check refused by the hasher's gate becomes a page that says to try again, not a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, PasswordCheckBusy):
            return busy_response(request)
        return None
