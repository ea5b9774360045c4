"""Browser-test fixtures: the real newsdesk server with the demo publication, and Chromium.

The server runs as a subprocess exactly as an operator starts it (``newsdesk demo --no-serve``
then ``newsdesk serve``), in a throwaway data directory, on a free loopback port.
"""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, chromium_missing_reason

NEWSDESK = Path(sys.executable).with_name("newsdesk")
START_TIMEOUT = 60.0
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = chromium_missing_reason()
    if reason is None:
        return
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text()
            raise RuntimeError(f"newsdesk serve exited with {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise RuntimeError(f"newsdesk serve did not answer at {url}:\n{log.read_text()}")


def _later_today(zone: str) -> str:
    now = datetime.datetime.now(zoneinfo.ZoneInfo(zone))
    later = now + datetime.timedelta(minutes=30)
    return "23:59" if later.date() != now.date() else later.strftime("%H:%M")


@dataclass(frozen=True)
class DemoServer:
    """The running demo: its address, and the data directory and environment it runs with
    (for tests that start another newsdesk process, such as the worker, beside it)."""

    url: str
    data_dir: Path
    env: dict[str, str]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """A real ``newsdesk serve`` with the demo publication."""
    data_dir = tmp_path_factory.mktemp("newsdesk-e2e-data")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "NEWSDESK_DATA_DIR": str(data_dir),
        "SITE_URL": url,
        "DEBUG": "false",
        # One send time for every process here (the demo's setup, the server, the tests' own
        # worker): later today, so the drafted edition waits for the editor's "Send now".
        "NEWSDESK_DIGEST_TIME": _later_today(os.environ.get("TIME_ZONE", "UTC")),
    }
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [str(NEWSDESK), "demo", "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    log = data_dir / "serve.log"
    # The tests run their own worker when they need one (test_newsletter_flow.py).
    serve = [str(NEWSDESK), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [*serve, "--workers", "1"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url + "/", process, log)
        yield DemoServer(url=url, data_dir=data_dir, env=env)
    finally:
        # granian runs its workers as children: signal the whole process group it leads.
        try:
            os.killpg(process.pid, 15)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=5)


@pytest.fixture(scope="session")
def live_server_url(demo_server: DemoServer) -> str:
    """http://127.0.0.1:<port> of a real ``newsdesk serve`` with the demo publication."""
    return demo_server.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class RequestLog:
    """Every URL a page asked for, to prove nothing left the machine."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def off_loopback(self) -> list[str]:
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
            and urlsplit(url).hostname not in LOOPBACK_HOSTS
        ]


def _new_page(browser: Any, **options: Any) -> tuple[Any, Any, RequestLog]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    requests = RequestLog()
    context.on("request", lambda request: requests.urls.append(request.url))
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, requests


@pytest.fixture
def page_and_requests(browser: Any) -> Iterator[tuple[Any, RequestLog]]:
    context, page, requests = _new_page(browser)
    yield page, requests
    context.close()


@pytest.fixture
def page(page_and_requests: tuple[Any, RequestLog]) -> Any:
    return page_and_requests[0]


@pytest.fixture
def page_without_js(browser: Any) -> Iterator[Any]:
    context, page, _ = _new_page(browser, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture
def dark_page(browser: Any) -> Iterator[Any]:
    context, page, _ = _new_page(browser, color_scheme="dark")
    yield page
    context.close()
