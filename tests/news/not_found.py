"""Comparing two 404 answers: a hidden name must answer exactly like an unknown one."""

from __future__ import annotations

import re

from django.test import Client

# Each response masks its CSRF token differently (the signup form in the sidebar), and the page
# repeats the address asked for; neither says anything about the name.
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def assert_answers_like_an_unknown_name(client: Client, url: str, slug: str) -> None:
    """``url`` contains ``slug``; the same URL with a slug nobody uses must answer the same."""
    unknown_slug = "no-such-name-anywhere"
    hidden = client.get(url)
    unknown = client.get(url.replace(slug, unknown_slug))
    assert hidden.status_code == unknown.status_code == 404, url

    def normalised(content: bytes, used: str) -> bytes:
        return _CSRF.sub(b"", content).replace(used.encode(), b"<slug>")

    assert normalised(hidden.content, slug) == normalised(unknown.content, unknown_slug), url
