"""Security headers for static files, which whitenoise answers before newsdesk's middleware runs.

Static files are stylesheets, scripts for the admin, fonts and images. Their policy matters
when one is opened as a document of its own (an SVG can carry script): then nothing may run,
load from elsewhere, submit a form or be framed. Pages that *use* these files keep their own
policy (core/middleware.py); a stylesheet's or script's own header does not change how a page
applies it.
"""

from __future__ import annotations

from wsgiref.headers import Headers

STATIC_POLICY = "; ".join(
    [
        "default-src 'none'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",  # inline styles in an SVG run no code
        "font-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
STATIC_PERMISSIONS = "camera=(), microphone=(), geolocation=()"


def static_headers_add(headers: Headers, path: str, url: str) -> None:
    """WHITENOISE_ADD_HEADERS_FUNCTION: called once per file as whitenoise indexes it."""
    headers["Content-Security-Policy"] = STATIC_POLICY
    headers["Permissions-Policy"] = STATIC_PERMISSIONS
