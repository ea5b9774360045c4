"""Which peers may speak for the client: forwarded headers are believed only from the
configured proxies (NEWSDESK_TRUSTED_PROXIES hops, connecting from NEWSDESK_PROXY_ADDRESSES).

A proxy appends the address it received the request from to X-Forwarded-For and says in
X-Forwarded-Proto whether that was https. A client that reaches newsdesk's port directly can
send both headers too; believed, they would let it pick a new IP for every request (and walk
past per-IP limits and lockouts) or claim https. So from any other peer they are removed before
anything reads them.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


@functools.lru_cache(maxsize=8)
def _networks(
    addresses: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    # Keyed on the setting's value (a tuple), so a changed setting is seen; lru_cache is
    # thread-safe and what it holds never changes.
    return tuple(ipaddress.ip_network(address) for address in addresses)


def peer_is_trusted_proxy(remote_addr: str) -> bool:
    if not settings.NEWSDESK_TRUSTED_PROXIES:
        return False
    try:
        peer = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped is not None:
        peer = peer.ipv4_mapped
    return any(peer in network for network in _networks(settings.NEWSDESK_PROXY_ADDRESSES))


class UntrustedForwardingMiddleware:
    """First in the chain: Django's SSL redirect, the client IP and the login lockouts all read
    these headers after it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not peer_is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
