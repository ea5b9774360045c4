"""How newsdesk starts Debian's Chromium: offline, headless, resolving only loopback names.

Shared by the browser tests and ``benchmarks/screenshot.py`` so both use the same flags.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")

# Chromium keeps contacting Google hosts even with background networking off; the resolver
# rule makes every name but loopback fail, so nothing can leave the machine.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


def chromium_missing_reason() -> str | None:
    """Why the browser cannot run here, or None when Debian's chromium is installed."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)"
    return None
