"""Starting and stopping the servers the benchmark scripts measure, on loopback only.

Every server is a child process started in its own session and stopped by its process group id,
so a benchmark that fails half-way leaves nothing running.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

NEWSDESK = Path(sys.executable).with_name("newsdesk")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def newsdesk_env(data_dir: Path, site_url: str) -> dict[str, str]:
    """The environment of a newsdesk process using SQLite in ``data_dir``."""
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(data_dir), "SITE_URL": site_url}
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG"):
        env.pop(name, None)
    return env


class ChildServer:
    """A server process; ``stop()`` is safe to call more than once."""

    def __init__(self, argv: list[str], *, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as log_file:
            self.process = subprocess.Popen(
                argv, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_up(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.process.returncode}:\n{self.log.read_text()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                last_error = error
                time.sleep(0.25)
        raise RuntimeError(
            f"no answer from {url} after {timeout:.0f}s ({last_error}):\n{self.log.read_text()}"
        )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # The server leads its own process group (granian's workers, nginx's worker are in it).
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def newsdesk_serve(
    *, data_dir: Path, port: int, workers: int, page_cache: bool = True
) -> ChildServer:
    """``newsdesk serve`` on 127.0.0.1; ``page_cache`` False renders every page (the whole-page
    cache for anonymous readers, news/page_cache.py, off)."""
    url = f"http://127.0.0.1:{port}"
    argv = [str(NEWSDESK), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", str(workers)]
    env = {**newsdesk_env(data_dir, url), "NEWSDESK_PAGE_CACHE": "true" if page_cache else "false"}
    return ChildServer(argv, env=env, log=data_dir / f"serve-{port}.log")
