"""SECRET_KEY in production (https SITE_URL, DEBUG off): refused at start when shorter than
Django's check --deploy rule, which the generated key always passes. Run as the real command."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.commands import newsdesk_run as _newsdesk

PRODUCTION = {"SITE_URL": "https://news.example.org"}
GOOD_KEY = "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN"  # 54, many different


@pytest.mark.parametrize(
    ("key", "told"),
    [
        ("x" * 20 + "abcdefghijkl", "the configured key has 32 characters (13 different)"),
        ("ab" * 30, "the configured key has 60 characters (2 different)"),
        ("django-insecure-" + GOOD_KEY, "not starting with 'django-insecure-'"),
    ],
)
def test_a_weak_key_stops_a_production_start(tmp_path: Path, key: str, told: str) -> None:
    result = _newsdesk(tmp_path, "check", SECRET_KEY=key, **PRODUCTION)
    assert result.returncode == 2
    assert result.stderr.startswith("newsdesk: configuration error: SECRET_KEY: ")
    assert told in result.stderr
    assert "needs at least 50 with at least 5 different ones" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr  # what to do
    assert key not in result.stderr  # a secret is never printed
    assert "Traceback" not in result.stderr


def test_a_weak_key_file_is_named(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("short-but-32-characters-long-key\n")
    result = _newsdesk(tmp_path, "check", SECRET_KEY_FILE=str(key_file), **PRODUCTION)
    assert result.returncode == 2
    assert "SECRET_KEY: SECRET_KEY_FILE has 32 characters" in result.stderr


def test_the_generated_key_passes_the_deploy_check(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "data" / "secret_key").read_text()) >= 50
    # The next start reads the same key and is just as happy with it.
    again = _newsdesk(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert again.returncode == 0, again.stderr


def test_a_strong_configured_key_passes_the_deploy_check(tmp_path: Path) -> None:
    result = _newsdesk(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=GOOD_KEY, **PRODUCTION
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("env", [{}, {"DEBUG": "1", **PRODUCTION}])
def test_outside_production_32_characters_are_enough(tmp_path: Path, env: dict[str, str]) -> None:
    result = _newsdesk(tmp_path, "check", SECRET_KEY="x" * 20 + "abcdefghijkl", **env)
    assert result.returncode == 0, result.stderr
