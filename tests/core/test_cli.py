"""The `newsdesk` command: Django's command line with newsdesk's settings, run as a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.commands import newsdesk_run as _newsdesk


def test_help_lists_newsdesk_and_django_commands(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("import", "demo", "serve", "migrate", "check"):
        assert command in result.stdout


def test_serve_help_names_the_request_body_limits(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "serve", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for name in ("NEWSDESK_MAX_REQUEST_BYTES", "NEWSDESK_BODY_TIMEOUT", "docs/deploy.md"):
        assert name in text


def test_import_help_explains_the_options(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "import", "--help")
    assert result.returncode == 0, result.stderr
    assert "PATH" in result.stdout
    assert "--publish" in result.stdout and "--draft" in result.stdout


def test_check_passes_with_the_defaults(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "secret_key").is_file()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("TIME_ZONE", "Mars/Base"),
        ("DATABASE_URL", "nonsense://x"),
        ("SITE_URL", "ftp://x"),
        ("SECRET_KEY", "too-short"),
        ("NEWSDESK_TRUSTED_PROXIES", "many"),
        ("NEWSDESK_PROXY_ADDRESSES", "10.0.0.0/33"),
        ("NEWSDESK_PROXY_ADDRESSES", "proxy.internal"),
        ("NEWSDESK_MAX_REQUEST_BYTES", "12M"),
        ("NEWSDESK_BODY_TIMEOUT", "0"),
        ("NEWSDESK_BODY_MIN_RATE", "fast"),
        ("NEWSDESK_BODY_WAITING_MAX", "0"),
    ],
)
def test_malformed_environment_stops_with_the_variable_named(
    tmp_path: Path, name: str, value: str
) -> None:
    result = _newsdesk(tmp_path, "check", **{name: value})
    assert result.returncode != 0
    assert f"newsdesk: configuration error: {name}" in result.stderr
    assert "Traceback" not in result.stderr


def test_background_work_defaults_to_the_worker(tmp_path: Path) -> None:
    """No request of a default install sends mail or ranks related stories itself: a signup's
    answer then takes as long whatever it sends (the security review timed the difference)."""
    code = "from django.conf import settings; print(settings.NEWSDESK_TASKS, settings.TASKS)"
    result = _newsdesk(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split()[0] == "database"
    assert "django_tasks_db.DatabaseBackend" in result.stdout
    help_text = _newsdesk(tmp_path, "serve", "--help").stdout
    assert "--no-worker" in help_text and "beside" in help_text


# --- What `newsdesk help` offers ---------------------------------------------------------------


def test_help_offers_no_command_without_a_purpose(tmp_path: Path) -> None:
    from django.core.management import get_commands, load_command_class

    from newsdesk.cli import NOT_OFFERED

    result = _newsdesk(tmp_path, "help", "--commands")
    assert result.returncode == 0, result.stderr
    offered = set(result.stdout.split())
    assert "api_tokens" not in offered
    assert not offered & NOT_OFFERED.keys()
    # Everything else installed is offered, and loads.
    installed = get_commands()
    assert offered == installed.keys() - NOT_OFFERED.keys()
    for name in sorted(offered):
        assert load_command_class(installed[name], name), name
    # The full help text lists the same commands under their apps' headings.
    listed = _newsdesk(tmp_path, "help").stdout
    assert "api_tokens" not in listed and "    migrate\n" in listed


def test_every_command_not_offered_exists_and_is_refused_with_the_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from django.core.management import get_commands

    from newsdesk.cli import NOT_OFFERED, main

    for name, reason in NOT_OFFERED.items():
        # An entry for a command no installed app has any more is to be removed.
        assert name in get_commands(), name
        for argv in ([name], ["help", name]):
            with pytest.raises(SystemExit) as stopped:
                main(argv)
            assert stopped.value.code == 1
            assert f"`{name}` is not offered: {reason}" in capsys.readouterr().err


def test_api_tokens_is_refused_by_the_installed_command(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "api_tokens", "list")
    assert result.returncode == 1
    assert "newsdesk serves no Wagtail API" in result.stderr
