"""The ``newsdesk`` command: Django's command line with newsdesk's settings.

``newsdesk demo``, ``newsdesk serve``, ``newsdesk import`` and every Django or Wagtail management
command (``newsdesk migrate``, ``newsdesk createsuperuser``, ...) run through here.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["newsdesk", *(sys.argv[1:] if argv is None else argv)])
    except ImproperlyConfigured as exc:
        # A malformed environment variable: say which, without a traceback.
        sys.stderr.write(f"newsdesk: configuration error: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
