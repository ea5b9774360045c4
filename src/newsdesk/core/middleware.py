"""Response headers that Django 5.2 does not set by itself."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# The public theme loads nothing from other hosts and runs no script, so the policy can be strict.
# JSON-LD blocks are data, not script, and CSP does not apply to them.
PUBLIC_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# An editor's preview is the public page shown in a frame of the editor (and Wagtail's Checks
# panel runs in it): framing by the site itself only, and the userbar's inline styles.
PREVIEW_POLICY = PUBLIC_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
# Wagtail's admin uses inline scripts and styles; there only framing is forbidden.
ADMIN_POLICY = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"
ADMIN_PREFIXES = ("/admin/", "/django-admin/")


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "is_preview", False):
            # Set here, inside Wagtail's preview request, so the editor's own request (which
            # passes the response on) keeps it: the preview panel shows the page.
            response["Content-Security-Policy"] = PREVIEW_POLICY
            response["X-Frame-Options"] = "SAMEORIGIN"
        elif "Content-Security-Policy" not in response:
            admin = request.path.startswith(ADMIN_PREFIXES)
            response["Content-Security-Policy"] = ADMIN_POLICY if admin else PUBLIC_POLICY
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
