"""The typed environment readers behind settings.py (newsdesk.env)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsdesk import env

VAR = "NEWSDESK_TEST_VALUE"


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (VAR, f"{VAR}_FILE", "SECRET_KEY", "SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("true", True),
        (" YES ", True),
        ("On", True),
        ("0", False),
        ("no", False),
        ("off", False),
        ("", False),
        ("FALSE", False),
    ],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv(VAR, raw)
    assert env.env_bool(VAR, not expected) is expected


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "tru"])
def test_env_bool_refuses_anything_else(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR}: expected true/false"):
        env.env_bool(VAR)


def test_env_bool_default_when_unset() -> None:
    assert env.env_bool(VAR, True) is True
    assert env.env_bool(VAR) is False


def test_env_int(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env.env_int(VAR, 7) == 7
    monkeypatch.setenv(VAR, " 42 ")
    assert env.env_int(VAR, 7) == 42
    monkeypatch.setenv(VAR, "")
    assert env.env_int(VAR, 7) == 7


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("4x", "expected a whole number"),
        ("1.5", "expected a whole number"),
        ("11", "11 is outside 0..10"),
        ("-1", "-1 is outside 0..10"),
    ],
)
def test_env_int_refuses_bad_numbers(
    monkeypatch: pytest.MonkeyPatch, raw: str, message: str
) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR}: {message}"):
        env.env_int(VAR, 0, maximum=10)


def test_env_list(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env.env_list(VAR, ["a"]) == ["a"]
    monkeypatch.setenv(VAR, " a.example, ,b.example ,")
    assert env.env_list(VAR, []) == ["a.example", "b.example"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://news.example.org/", "https://news.example.org"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ],
)
def test_env_url_accepts_http_and_https(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: str
) -> None:
    monkeypatch.setenv(VAR, raw)
    assert env.env_url(VAR, "http://x") == expected


@pytest.mark.parametrize("raw", ["ftp://x", "news.example.org", "https://", "javascript:x", ""])
def test_env_url_refuses_other_urls(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR}: expected an absolute http"):
        env.env_url(VAR, "http://x")


def test_env_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env.env_time_zone(VAR, "UTC") == "UTC"
    monkeypatch.setenv(VAR, "Europe/London")
    assert env.env_time_zone(VAR, "UTC") == "Europe/London"


@pytest.mark.parametrize("raw", ["Mars/Base", "../../etc/passwd", "", "Europe/"])
def test_env_time_zone_refuses_unknown_zones(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR}: unknown time zone"):
        env.env_time_zone(VAR, "UTC")


def test_env_str_reads_secrets_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv(VAR, "from-env")
    monkeypatch.setenv(f"{VAR}_FILE", str(secret))
    assert env.env_str(VAR) == "from-file"


def test_env_str_names_an_unreadable_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(f"{VAR}_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR}_FILE: cannot read"):
        env.env_str(VAR)


def test_data_dir_is_created(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(VAR, str(tmp_path / "a" / "b"))
    assert env.data_dir(VAR, "./unused") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir()


def test_data_dir_that_cannot_be_created_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(VAR, str(blocker / "sub"))
    with pytest.raises(ImproperlyConfigured, match=f"^{VAR}: cannot create"):
        env.data_dir(VAR, "./unused")


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = env.secret_key(tmp_path)
    assert len(first) >= 50
    assert env.secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_secret_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    assert env.secret_key(tmp_path) == "k" * 40
    assert not (tmp_path / "secret_key").exists()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match=r"^SECRET_KEY: use at least 32 characters"):
        env.secret_key(tmp_path)


def test_an_empty_secret_key_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(ImproperlyConfigured, match="is empty; delete it or set SECRET_KEY"):
        env.secret_key(tmp_path)


@pytest.mark.parametrize(
    "raw",
    ["redis://127.0.0.1:6379/0", "rediss://user:pw@cache.example.org:6380/1", "unix:///run/r.sock"],
)
def test_env_redis_url_accepts_redis_addresses(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(VAR, raw)
    assert env.env_redis_url(VAR) == raw


def test_env_redis_url_is_optional(monkeypatch: pytest.MonkeyPatch) -> None:
    assert env.env_redis_url(VAR) == ""
    monkeypatch.setenv(VAR, "  ")
    assert env.env_redis_url(VAR) == ""


@pytest.mark.parametrize(
    "raw", ["127.0.0.1:6379", "http://127.0.0.1:6379", "redis://", "memcached://x", "redis"]
)
def test_env_redis_url_refuses_other_values(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(VAR, raw)
    with pytest.raises(ImproperlyConfigured, match=VAR):
        env.env_redis_url(VAR)


def test_env_redis_url_error_hides_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(VAR, "http://:hunter2@cache.example.org:6379/0")
    with pytest.raises(ImproperlyConfigured) as refused:
        env.env_redis_url(VAR)
    assert "hunter2" not in str(refused.value) and "***" in str(refused.value)
