"""The feedback room's receivers are connected by the app, in every process.

Before, they were connected only as a side effect of the URLconf importing the webhooks module,
so a process that never loaded the URLconf (the worker, a shell) would drop ESP events.
"""

from __future__ import annotations

from pathlib import Path

from tests.core.commands import newsdesk_run

CHECK = """
import sys
from anymail.signals import inbound, tracking
print(tracking.has_listeners(), inbound.has_listeners(), "newsdesk.urls" in sys.modules)
"""


def test_bounce_and_inbound_receivers_are_connected_without_the_urlconf(tmp_path: Path) -> None:
    result = newsdesk_run(tmp_path, "shell", "--no-imports", "-c", CHECK)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "False"]
