"""The page a reader sees when a form fails Django's CSRF check, in the site's design.

Django's own page is a bare "403 Forbidden: CSRF verification failed" meant for developers; a
reader whose browser blocks cookies needs to be told what happened and what to do.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # The reason stays in the log (Django logs it); it says nothing useful to a reader.
    return render(request, "403_csrf.html", status=403)
