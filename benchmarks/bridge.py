"""What the body-bounding bridge costs: granian's WSGI interface against `newsdesk serve`.

    .venv/bin/python benchmarks/bridge.py [--duration 10] [--runs 3] [--threads 4]

1. A fresh data directory with the demo publication (``newsdesk demo --no-serve``).
2. Two servers over it on free 127.0.0.1 ports, one worker each and the same thread count:
   granian ``--interface wsgi`` on ``newsdesk.wsgi:application`` (how ``newsdesk serve`` ran
   before the bridge) and ``newsdesk serve`` itself (granian ASGI and ``ops/bridge``).
3. ``/robots.txt`` (the cheapest page: the bridge's own cost shows most) and the newest article
   are fetched from both and must be the same bytes; then ``wrk -t1 -c16`` runs ``--runs``
   times per page, alternating the servers so drift on a shared machine hits both alike.

Prints each run, the medians and the ratio bridge / WSGI. Every server is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pages import WrkResult, fetch, wrk
from servers import NEWSDESK, ChildServer, free_port, newsdesk_env

# One SITE_URL for both servers, so that their pages (canonical links, robots.txt) are the same.
SITE_URL = "http://127.0.0.1:8000"
NEWEST_ARTICLE = (
    "from newsdesk.news.models import ArticlePage; "
    "print(ArticlePage.objects.published().newest_first().first().url)"
)


def _comparable(page: bytes) -> bytes:
    """A page without its CSRF token, which is masked afresh on every response."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", page)


def group_cpu_seconds(pgid: int) -> float:
    """User and system CPU time of every process in a process group (a server and its workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def wsgi_server(*, data_dir: Path, port: int, threads: int) -> ChildServer:
    granian = str(Path(sys.executable).with_name("granian"))
    argv = [granian, "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--blocking-threads", str(threads), "--no-ws"]
    argv.append("newsdesk.wsgi:application")
    return ChildServer(argv, env=newsdesk_env(data_dir, SITE_URL), log=data_dir / "wsgi.log")


def bridge_server(*, data_dir: Path, port: int, threads: int) -> ChildServer:
    argv = [str(NEWSDESK), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--threads", str(threads)]
    return ChildServer(argv, env=newsdesk_env(data_dir, SITE_URL), log=data_dir / "bridge.log")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per case (median)")
    parser.add_argument("--threads", type=int, default=4, help="threads per server (the demo's)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        parser.error("wrk is missing: apt-get install -y wrk")
    signal.signal(signal.SIGTERM, _stop)
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bridge-bench-"))
    data_dir = folder / "data"
    servers: list[ChildServer] = []
    results: dict[tuple[str, str], list[WrkResult]] = {}
    cpu_ms: dict[tuple[str, str], list[float]] = {}
    groups: dict[str, int] = {}
    try:
        env = newsdesk_env(data_dir, SITE_URL)
        run = subprocess.run  # fixed programs and arguments
        run([str(NEWSDESK), "demo", "--no-serve"], env=env, check=True, capture_output=True)
        # The last line: Django's shell may first say what it imported.
        article = run(
            [str(NEWSDESK), "shell", "--no-imports", "-c", NEWEST_ARTICLE],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        paths = {"robots": "/robots.txt", "article": article}
        bases: dict[str, str] = {}
        for name, start in (("wsgi", wsgi_server), ("bridge", bridge_server)):
            port = free_port()
            server = start(data_dir=data_dir, port=port, threads=args.threads)
            servers.append(server)
            groups[name] = server.process.pid  # it leads its own process group
            bases[name] = f"http://127.0.0.1:{port}"
            server.wait_until_up(bases[name] + "/robots.txt", timeout=120)
        for path in paths.values():
            if _comparable(fetch(bases["wsgi"] + path)) != _comparable(
                fetch(bases["bridge"] + path)
            ):
                raise RuntimeError(f"the two servers answer {path} differently")
            for name in bases:
                wrk(bases[name] + path, duration=1, connections=args.connections)  # warm-up
        for page, path in paths.items():
            for number in range(args.runs):
                for name, base in bases.items():
                    before = group_cpu_seconds(groups[name])
                    result = wrk(base + path, duration=args.duration, connections=args.connections)
                    spent = group_cpu_seconds(groups[name]) - before
                    results.setdefault((page, name), []).append(result)
                    per_request = spent * 1000 / max(1.0, result.rps * args.duration)
                    cpu_ms.setdefault((page, name), []).append(per_request)
                    print(
                        f"  {page:8} {name:7} run {number + 1}: {result.rps:9.1f} req/s  "
                        f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  "
                        f"CPU {per_request:.3f} ms/request  errors {result.errors}",
                        flush=True,
                    )
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print(
        f"\nnewsdesk demo; granian 1 worker x {args.threads} threads, WSGI vs the bridge; "
        f"wrk -t1 -c{args.connections} -d{args.duration}s, median of {args.runs} "
        f"({os.cpu_count()} cores)"
    )
    # CPU per request holds better than requests/s when other work shares the machine.
    header = f"{'page':8} {'WSGI req/s':>11} {'bridge req/s':>13} {'ratio':>6}"
    header += f" {'WSGI CPU ms':>12} {'bridge CPU ms':>14} {'ratio':>6} {'errors':>6}"
    print(header)
    for page in ("robots", "article"):
        wsgi_rps = statistics.median(r.rps for r in results[(page, "wsgi")])
        bridge_rps = statistics.median(r.rps for r in results[(page, "bridge")])
        wsgi_cpu = statistics.median(cpu_ms[(page, "wsgi")])
        bridge_cpu = statistics.median(cpu_ms[(page, "bridge")])
        errors = sum(r.errors for name in ("wsgi", "bridge") for r in results[(page, name)])
        print(
            f"{page:8} {wsgi_rps:11.1f} {bridge_rps:13.1f} {bridge_rps / wsgi_rps:6.2f} "
            f"{wsgi_cpu:12.3f} {bridge_cpu:14.3f} {bridge_cpu / wsgi_cpu:6.2f} {errors:6}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
