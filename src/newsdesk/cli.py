"""The ``newsdesk`` command: Django's command line with newsdesk's settings.

``newsdesk demo``, ``newsdesk serve``, ``newsdesk import`` and every Django or Wagtail management
command (``newsdesk migrate``, ``newsdesk createsuperuser``, ...) run through here, except the
few that have nothing behind them in newsdesk (``NOT_OFFERED``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Commands that installed apps bring but newsdesk gives no purpose, each with why. They are
# left out of `newsdesk help` and refused by name; nothing in newsdesk calls them.
NOT_OFFERED = {
    # Wagtail's core app (which newsdesk cannot do without) brings the command and its model;
    # Wagtail offers the tokens in its admin only with wagtail.api.v3, which newsdesk does not
    # install, so a token would authorise nothing.
    "api_tokens": "it manages Wagtail API tokens, and newsdesk serves no Wagtail API",
    "convert_mariadb_uuids": "it is for MariaDB, and newsdesk runs on SQLite or PostgreSQL",
    "create_log_entries_from_revisions": (
        "it converts the history of sites made before Wagtail 2.10, and newsdesk's never were"
    ),
    "publish_scheduled_pages": "it is an old name of `newsdesk publish_scheduled`",
    "startapp": "it starts a new Django app; newsdesk is an installed application",
    "startproject": "it starts a new Django project; newsdesk is an installed application",
    "test": "newsdesk's tests run with pytest (`python3 dev.py test`), not Django's runner",
    "wagtail_update_index": "it is another name of `newsdesk update_index`",
}


def _management_utility(argv: list[str]) -> Any:
    from django.core.management import ManagementUtility

    class NewsdeskUtility(ManagementUtility):
        def main_help_text(self, commands_only: bool = False) -> str:
            # Django's text, less the lines that name a command not offered (each command is
            # on a line of its own, indented under its app's heading).
            lines = super().main_help_text(commands_only).split("\n")
            return "\n".join(line for line in lines if line.strip() not in NOT_OFFERED)

        def fetch_command(self, subcommand: str) -> Any:
            if subcommand in NOT_OFFERED:
                sys.stderr.write(
                    f"newsdesk: `{subcommand}` is not offered: {NOT_OFFERED[subcommand]}.\n"
                    "Type 'newsdesk help' for the commands there are.\n"
                )
                raise SystemExit(1)
            return super().fetch_command(subcommand)

    return NewsdeskUtility(argv)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        _management_utility(["newsdesk", *(sys.argv[1:] if argv is None else argv)]).execute()
    except ImproperlyConfigured as exc:
        # A malformed environment variable: say which, without a traceback.
        sys.stderr.write(f"newsdesk: configuration error: {exc}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
