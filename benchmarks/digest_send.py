#!/usr/bin/env python3
"""Digest sending throughput: ``newsdesk digest send`` into postfix's smtp-sink, and the limit.

    .venv/bin/python benchmarks/digest_send.py [--sizes 10000 100000] [--connections 4]
        [--database-url postgres://postgres@127.0.0.1:5432/postgres]

1. ``smtp-sink`` (Debian's ``postfix`` package) listens on a free 127.0.0.1 port and discards
   what it is sent. No postfix daemon runs: when the package is missing and we are root it is
   installed with "No configuration", and any daemon the install started is stopped again.
2. For each size, a fresh database (SQLite in a temporary data directory, or a throwaway
   PostgreSQL database next to ``--database-url``): ``newsdesk migrate``, twenty published
   articles and that many confirmed subscribers written in bulk, the day's digest frozen.
3. ``newsdesk digest send --date D --connections N`` runs as a child process; its wall time
   (Django's start-up, creating the delivery rows and sending everything) gives messages/s,
   and ``wait4`` its peak resident memory.
4. ``smtp-source`` sends the same number of messages of the same size into the same sink:
   the limit of this machine and sink, measured in the same run.

Targets (issue #4): >= 1,000 personalised messages/s on 2 cores, peak memory < 150 MB at
100,000 subscribers. These machines are shared: absolute figures drift, the ratio holds better.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
NEWSDESK = Path(PYTHON).with_name("newsdesk")
ARTICLES = 20
TARGET_RATE = 1000.0
TARGET_MB = 150.0
INSTALL = (
    'echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections'
    " && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tool(name: str) -> str | None:
    found = shutil.which(name) or f"/usr/sbin/{name}"
    return found if Path(found).exists() else None


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def postfix_tools() -> tuple[str, str]:
    """smtp-sink and smtp-source, installing the postfix package if we may."""
    if not (_tool("smtp-sink") and _tool("smtp-source")):
        if os.geteuid() != 0:
            sys.exit(f"smtp-sink and smtp-source are missing; as root run:\n  {INSTALL}")
        print("installing postfix (for smtp-sink and smtp-source) ...", flush=True)
        subprocess.run(["sh", "-c", INSTALL], check=True, stdout=subprocess.DEVNULL)
        postfix_daemon_stop()
    sink, source = _tool("smtp-sink"), _tool("smtp-source")
    assert sink and source
    return sink, source


def postfix_daemon_stop() -> None:
    """The package may start its mail daemon: stop it, and check nothing is left on port 25."""
    for argv in (["postfix", "stop"], ["service", "postfix", "stop"]):
        if shutil.which(argv[0]) or Path(f"/usr/sbin/{argv[0]}").exists():
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    if _port_open(25):
        print("warning: something still listens on 127.0.0.1:25; check `postfix status`")


class Child:
    """A process in its own session, stopped by its process group; safe to stop twice."""

    def __init__(self, argv: list[str], log: Path) -> None:
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                argv, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def sink_start(sink: str, port: int, log: Path) -> Child:
    argv = [sink]
    if os.geteuid() == 0:
        argv += ["-u", "nobody"]  # smtp-sink refuses to keep root privileges
    child = Child([*argv, "-m", "512", f"127.0.0.1:{port}", "1024"], log)
    deadline = time.monotonic() + 10
    while not _port_open(port):
        if child.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"smtp-sink did not start:\n{log.read_text()}")
        time.sleep(0.05)
    return child


# --- The database -------------------------------------------------------------------------------


def _with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@dataclass
class Database:
    data_dir: Path
    url: str | None = None  # None: SQLite in data_dir
    admin_url: str | None = None
    name: str = ""

    @classmethod
    def create(cls, data_dir: Path, base_url: str | None) -> Database:
        if not base_url:
            return cls(data_dir)
        import psycopg

        admin_url = _with_database_name(base_url, "postgres")
        name = f"newsdesk_bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return cls(data_dir, _with_database_name(base_url, name), admin_url, name)

    def drop(self) -> None:
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("NEWSDESK_", "EMAIL_", "DJANGO_"))
            and key not in {"DATABASE_URL", "SITE_URL", "DEBUG"}
        }
        env.update(
            NEWSDESK_DATA_DIR=str(self.data_dir), SITE_URL="https://news.example.org", DEBUG="false"
        )
        if self.url:
            env["DATABASE_URL"] = self.url
        env.update(extra)
        return env


def fill(size: int) -> None:
    """Runs in a child with the database's environment: articles, readers, a frozen digest."""
    import datetime as dt

    os.environ["DJANGO_SETTINGS_MODULE"] = "newsdesk.settings"
    sys.path.insert(0, str(HERE))
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone
    from fill import articles_fill

    from newsdesk.newsletter.delivery import sender
    from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
    from newsdesk.newsletter.models import Digest, Subscriber

    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
    # Ten minutes old and older, one every 1-60 minutes: all within the day before the send.
    articles_fill(count=ARTICLES)
    now = timezone.now()
    batch = 5000
    for start in range(0, size, batch):
        Subscriber.objects.bulk_create(
            Subscriber(
                email=f"reader{number:06d}@example.org",
                email_key=f"reader{number:06d}@example.org",
                status=Subscriber.Status.CONFIRMED,
                confirmed_at=now,
            )
            for number in range(start, min(start + batch, size))
        )
    digest = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=soon.date()))
    assert digest.status == Digest.Status.SENDING, digest.status
    template = sender._Templates(digest).for_topics(None)
    assert template is not None
    reader = Subscriber.objects.order_by("pk").first()
    assert reader is not None
    message = template.render(sender._personal_values(subscriber=reader, digest=digest))
    print(digest.date.isoformat(), len(message), len(digest.items.all()))


def run(argv: list[str], env: dict[str, str], timeout: float = 600) -> str:
    result = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode:
        raise RuntimeError(f"{argv[:3]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, the child's peak RSS in MB (wait4) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{argv[:3]} exited with {process.returncode}:\n{out}")
    return elapsed, usage.ru_maxrss / 1024, out


@dataclass
class Result:
    size: int
    message_bytes: int
    stories: int
    fill_s: float
    send_s: float
    send_mb: float
    source_s: float

    @property
    def rate(self) -> float:
        return self.size / self.send_s

    @property
    def source_rate(self) -> float:
        return self.size / self.source_s


def measure(
    size: int, *, connections: int, sessions: int, source: str, port: int, base_url: str | None
) -> Result:
    with tempfile.TemporaryDirectory(prefix=f"newsdesk-digest-{size}-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        database = Database.create(data_dir, base_url)
        try:
            env = database.env()
            started = time.perf_counter()
            run([str(NEWSDESK), "migrate", "--no-input"], env)
            date, message_bytes, stories = run([PYTHON, __file__, "--fill", str(size)], env).split()
            fill_s = time.perf_counter() - started

            send_env = database.env(EMAIL_URL=f"smtp://127.0.0.1:{port}?timeout=30")
            argv = [str(NEWSDESK), "digest", "send", "--date", date]
            send_s, send_mb, out = timed([*argv, "--connections", str(connections)], send_env)
            match = re.search(r"sent (\d+), failed (\d+).*status (\w+)", out)
            if not match or match.groups() != (str(size), "0", "sent"):
                raise RuntimeError(f"the send did not reach everyone:\n{out}")

            started = time.perf_counter()
            source_argv = [source, "-4", "-d", "-s", str(sessions), "-m", str(size)]
            source_argv += ["-l", message_bytes, "-f", "news@example.org"]
            run([*source_argv, "-t", "reader@example.org", f"127.0.0.1:{port}"], dict(os.environ))
            source_s = time.perf_counter() - started
        finally:
            database.drop()
    return Result(size, int(message_bytes), int(stories), fill_s, send_s, send_mb, source_s)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--connections", type=int, default=4, help="SMTP connections (4)")
    parser.add_argument(
        "--source-sessions",
        type=int,
        help="smtp-source parallel sessions (default: the same as --connections)",
    )
    parser.add_argument("--database-url", help="PostgreSQL server to make a throwaway DB on")
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill is not None:
        fill(args.fill)
        return
    sink, source = postfix_tools()
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    sessions = args.source_sessions or args.connections
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="newsdesk-smtp-sink-") as tmp:
        sink_child = sink_start(sink, port, Path(tmp) / "smtp-sink.log")
        try:
            print(
                f"{os.cpu_count()} CPUs; {args.connections} sender connections; smtp-source "
                f"with {sessions} sessions; {'PostgreSQL' if args.database_url else 'SQLite'}",
                flush=True,
            )
            print(
                f"{'readers':>8} {'msg KB':>7} {'fill s':>7} {'send s':>7} {'msg/s':>7} "
                f"{'peak MB':>8} {'source msg/s':>13} {'ratio':>6}",
                flush=True,
            )
            for size in args.sizes:
                r = measure(
                    size,
                    connections=args.connections,
                    sessions=sessions,
                    source=source,
                    port=port,
                    base_url=args.database_url,
                )
                print(
                    f"{r.size:>8,} {r.message_bytes / 1024:>7.1f} {r.fill_s:>7.0f} "
                    f"{r.send_s:>7.1f} {r.rate:>7.0f} {r.send_mb:>8.0f} {r.source_rate:>13.0f} "
                    f"{r.rate / r.source_rate:>6.2f}",
                    flush=True,
                )
        finally:
            sink_child.stop()
    print(
        f"targets: >= {TARGET_RATE:,.0f} messages/s, peak < {TARGET_MB:.0f} MB at 100,000 readers"
        " (msg/s counts the whole command: start-up, delivery rows, sending)"
    )


if __name__ == "__main__":
    main()
