"""A migrated database for newsdesk processes that a test starts itself (server, sender).

SQLite in the process's data directory; or, when the test run has DATABASE_URL (CI's
PostgreSQL run), a throwaway PostgreSQL database created next to it and dropped afterwards. The
processes get a clean environment: nothing of the test run's own settings leaks into them.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

NEWSDESK = Path(sys.executable).with_name("newsdesk")
_NOT_INHERITED = {"DATABASE_URL", "SITE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}


@dataclass
class ProcessDatabase:
    data_dir: Path
    url: str | None  # None: SQLite in data_dir

    def env(self, *, site_url: str, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("NEWSDESK_", "EMAIL_", "DJANGO_")) and key not in _NOT_INHERITED
        }
        env.update(NEWSDESK_DATA_DIR=str(self.data_dir), SITE_URL=site_url, DEBUG="false")
        if self.url:
            env["DATABASE_URL"] = self.url
        env.update(extra)
        return env

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of a query written with %s placeholders, on either database."""
        if self.url is None:
            connection = sqlite3.connect(self.data_dir / "newsdesk.sqlite3")
            try:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                connection.close()
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql, params).fetchall()

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        """A write with %s placeholders, committed, on either database."""
        if self.url is None:
            connection = sqlite3.connect(self.data_dir / "newsdesk.sqlite3")
            try:
                with connection:
                    connection.execute(sql.replace("%s", "?"), params)
            finally:
                connection.close()
            return
        import psycopg

        with psycopg.connect(self.url) as connection:
            connection.execute(sql, params)


def _with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@contextmanager
def process_database(data_dir: Path, *, prefix: str) -> Iterator[ProcessDatabase]:
    base_url = os.environ.get("DATABASE_URL", "")
    admin_url = None
    name = ""
    if base_url and not base_url.startswith("sqlite"):
        import psycopg

        # The maintenance database: the one DATABASE_URL names need not exist (pytest-django
        # makes its own test_ copy of it).
        admin_url = _with_database_name(base_url, "postgres")
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    database = ProcessDatabase(data_dir, _with_database_name(base_url, name) if admin_url else None)
    try:
        result = subprocess.run(
            [str(NEWSDESK), "migrate", "--no-input"],
            env=database.env(site_url="http://127.0.0.1"),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        yield database
    finally:
        if admin_url:
            import psycopg

            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
