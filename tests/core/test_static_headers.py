"""Static files carry a Content-Security-Policy although whitenoise answers them before
newsdesk's middleware runs (core/static_headers.py, WHITENOISE_ADD_HEADERS_FUNCTION)."""

from __future__ import annotations

import pytest
from django.test import Client


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


@pytest.mark.parametrize("path", ["/static/newsdesk/site.css", "/static/newsdesk/favicon.svg"])
def test_static_files_forbid_scripts_and_framing(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert "WhiteNoise" in type(response).__name__  # served by whitenoise, not a Django view
    policy = _policy(response["Content-Security-Policy"])
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy  # so scripts fall back to 'none'
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
