"""Page throughput: newsdesk's home and article pages against nginx serving the same bytes.

    .venv/bin/python benchmarks/pages.py [--articles 10000] [--duration 10] [--runs 3]

1. A fresh data directory in a temporary folder; ``migrate``; N generated articles written in
   bulk (``fill.py``); the related-stories lists rebuilt when that command exists.
2. ``newsdesk serve --workers 2`` on a free 127.0.0.1 port with the whole-page cache off
   (``newsdesk``: every request rendered), and a second one with it on (``cached``: the
   anonymous reader's page answered from Django's cache); the home page and the newest
   article are fetched once, and the pages' query counts measured in-process.
3. nginx (Debian package, own config, ``daemon off``, started as a child and stopped by PID)
   serves those exact bytes from the same folder on another loopback port.
4. ``wrk -t1 -c16 -d<duration>s --timeout 30s --latency`` runs ``--runs`` times per page and
   server after a short warm-up; the table shows the medians and the ratio to nginx.

Every server is stopped at the end, also on errors and Ctrl-C. Absolute figures drift on a shared
machine; the ratio to nginx measured in the same run holds better.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from servers import ChildServer, free_port, newsdesk_env, newsdesk_serve

# The target for the uncached article page (5x Ghost's 46 requests/s).
TARGET_RPS = 230.0
TARGET_P99_MS = 200.0
# The target for a page answered from Django's own cache, as a share of nginx static.
TARGET_CACHED_SHARE = 0.05

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _to_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (rps and p50 and p99):
        raise ValueError(f"could not read wrk's output:\n{output}")
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return WrkResult(float(rps.group(1)), _to_ms(p50.group(1)), _to_ms(p99.group(1)), errors)


def wrk(url: str, *, duration: int, connections: int) -> WrkResult:
    # A generous timeout: wrk's default (2 s) drops slow requests from the latency figures.
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "--latency"]
    argv.append(url)
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=duration + 60)
    return parse_wrk(done.stdout)


def median_result(results: list[WrkResult]) -> WrkResult:
    return WrkResult(
        rps=statistics.median(r.rps for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
    )


NGINX_CONF = """\
daemon off;
worker_processes {workers};
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/tmp;
    proxy_temp_path {folder}/tmp;
    fastcgi_temp_path {folder}/tmp;
    uwsgi_temp_path {folder}/tmp;
    scgi_temp_path {folder}/tmp;
    types {{ text/html html; }}
    default_type text/html;
    server {{
        listen 127.0.0.1:{port};
        root {folder}/www;
    }}
}}
"""


def nginx_serve(*, folder: Path, port: int, workers: int) -> ChildServer:
    (folder / "tmp").mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, port=port, workers=workers))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    argv = [nginx, "-p", str(folder), "-e", str(folder / "nginx-error.log"), "-c", str(conf)]
    return ChildServer(argv, env=dict(os.environ), log=folder / "nginx.log")


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        return bytes(response.read())


def prepare_database(*, data_dir: Path, site_url: str, articles: int, related: bool) -> dict:
    """Migrate and fill the database in this process; returns paths and query counts."""
    os.environ.update(newsdesk_env(data_dir, site_url))
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsdesk.settings"
    # The query counts are the rendering's: with the page cache a repeat visit costs none.
    os.environ["NEWSDESK_PAGE_CACHE"] = "false"
    import django

    django.setup()
    from django.core.management import call_command, get_commands
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from fill import articles_fill, tree_problems

    from newsdesk.news.models import ArticlePage
    from newsdesk.ops.server import static_files_ensure

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    static_files_ensure()
    print(f"migrated in {time.monotonic() - started:.1f}s", flush=True)

    started = time.monotonic()
    articles_fill(count=articles)
    print(f"{articles:,} articles written in {time.monotonic() - started:.1f}s", flush=True)
    problems = tree_problems()
    if problems:
        raise RuntimeError(f"the page tree is inconsistent: {problems}")
    if related and "related" in get_commands():
        started = time.monotonic()
        call_command("related", "rebuild", stdout=io.StringIO())
        print(f"related stories rebuilt in {time.monotonic() - started:.1f}s", flush=True)

    newest = ArticlePage.objects.published().newest_first().first()
    if newest is None:
        raise RuntimeError("no published article after the fill")
    paths = {"home": "/", "article": newest.get_url()}
    client = Client(HTTP_HOST="127.0.0.1")
    queries: dict[str, int] = {}
    for name, path in paths.items():
        client.get(path)  # the first request fills Wagtail's site cache
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        queries[name] = len(captured)
    if newest.title.encode() not in client.get(paths["article"]).content:
        raise RuntimeError("the article page does not show the article's headline")
    connection.close()
    return {"paths": paths, "queries": queries, "title": newest.title}


def check_pages(pages: dict[str, bytes], title: str) -> None:
    """The pages measured are the real thing: a full home page and the article with its parts."""
    home, article = pages["home"].decode(), pages["article"].decode()
    cards = home.count('class="card"')
    if cards != 20:
        raise RuntimeError(f"the home page shows {cards} articles, not 20")
    for part in ("<h1", "Recent Articles", "Related Stories", "<h2 id="):
        if part not in article:
            raise RuntimeError(f"the article page lacks {part!r}")
    related = article.split("Related Stories", 1)[1].split("</section>", 1)[0]
    if related.count("<li>") < 1:
        raise RuntimeError("the article page shows no related stories")
    from html import escape

    if escape(title) not in article:
        raise RuntimeError("the article page does not show its headline")


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Requests/s and latency of newsdesk's home and article pages, with nginx "
        "serving the same bytes as the reference.",
        epilog="Needs Debian's wrk and nginx (apt-get install -y wrk nginx).",
    )
    parser.add_argument("--articles", type=int, default=10_000, help="default %(default)s")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per case (median)")
    parser.add_argument("--connections", type=int, default=16, help="wrk -c (default 16)")
    parser.add_argument("--workers", type=int, default=2, help="newsdesk and nginx workers")
    parser.add_argument(
        "--no-related-rebuild",
        action="store_true",
        help="skip `newsdesk related rebuild` (the article then shows same-topic stories)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.articles < 30 or args.duration < 1 or args.runs < 1:
        parser.error("--articles must be at least 30, --duration and --runs at least 1")
    for tool in ("wrk", "nginx"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            parser.error(f"{tool} is missing: apt-get install -y {tool}")

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-bench-"))
    data_dir = folder / "data"
    data_dir.mkdir(mode=0o700)
    # nginx's worker runs as an unprivileged user when started by root: let it reach www/.
    folder.chmod(0o711)
    (folder / "www").mkdir(mode=0o755)
    servers: list[ChildServer] = []
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        prepared = prepare_database(
            data_dir=data_dir,
            site_url=base,
            articles=args.articles,
            related=not args.no_related_rebuild,
        )
        newsdesk = newsdesk_serve(
            data_dir=data_dir, port=port, workers=args.workers, page_cache=False
        )
        servers.append(newsdesk)
        newsdesk.wait_until_up(base + "/", timeout=120)
        cached_port = free_port()
        cached_base = f"http://127.0.0.1:{cached_port}"
        cached = newsdesk_serve(data_dir=data_dir, port=cached_port, workers=args.workers)
        servers.append(cached)
        cached.wait_until_up(cached_base + "/", timeout=120)

        pages = {name: fetch(base + path) for name, path in prepared["paths"].items()}
        check_pages(pages, prepared["title"])
        for name, body in pages.items():
            (folder / "www" / f"{name}.html").write_bytes(body)
            (folder / "www" / f"{name}.html").chmod(0o644)

        nginx_port = free_port()
        nginx = nginx_serve(folder=folder, port=nginx_port, workers=args.workers)
        servers.append(nginx)
        nginx_base = f"http://127.0.0.1:{nginx_port}"
        nginx.wait_until_up(nginx_base + "/home.html")
        for name, body in pages.items():
            if fetch(f"{nginx_base}/{name}.html") != body:
                raise RuntimeError(f"nginx does not serve the same bytes for {name}")

        urls = {
            (name, server): url
            for name, path in prepared["paths"].items()
            for server, url in (
                ("newsdesk", base + path),
                ("cached", cached_base + path),
                ("nginx", f"{nginx_base}/{name}.html"),
            )
        }
        results: dict[tuple[str, str], WrkResult] = {}
        for (name, server), url in urls.items():
            wrk(url, duration=1, connections=args.connections)  # warm-up
            runs = []
            for run in range(args.runs):
                result = wrk(url, duration=args.duration, connections=args.connections)
                print(
                    f"  {name:8} {server:8} run {run + 1}: {result.rps:9.1f} req/s  "
                    f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms",
                    flush=True,
                )
                runs.append(result)
            results[(name, server)] = median_result(runs)
    finally:
        for server in reversed(servers):
            server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)

    print()
    print(
        f"{args.articles:,} articles; newsdesk serve --workers {args.workers} (granian, SQLite) "
        f"vs nginx worker_processes {args.workers}; wrk -t1 -c{args.connections} "
        f"-d{args.duration}s, median of {args.runs}"
    )
    header = f"{'page':8} {'server':8} {'bytes':>7} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    header += f" {'vs nginx':>10} {'queries':>7} {'errors':>6}"
    print(header)
    print("-" * len(header))
    for (name, server), result in results.items():
        reference = results[(name, "nginx")]
        ratio = result.rps / reference.rps
        queries = str(prepared["queries"][name]) if server == "newsdesk" else "-"
        queries = "0-1" if server == "cached" else queries
        print(
            f"{name:8} {server:8} {len(pages[name]):7} {result.rps:10.1f} {result.p50_ms:8.2f} "
            f"{result.p99_ms:8.2f} {ratio:10.4f} {queries:>7} {result.errors:6}"
        )
    article = results[("article", "newsdesk")]
    met = article.rps >= TARGET_RPS and article.p99_ms < TARGET_P99_MS
    print(
        f"\narticle page, uncached: {article.rps:.0f} req/s (target >= {TARGET_RPS:.0f}), "
        f"p99 {article.p99_ms:.1f} ms (target < {TARGET_P99_MS:.0f}): "
        + ("target met" if met else "TARGET MISSED")
    )
    hit = results[("article", "cached")].rps / results[("article", "nginx")].rps
    print(
        f"article page, Django's page cache hit: {hit:.1%} of nginx static (target >= "
        f"{TARGET_CACHED_SHARE:.0%}): "
        + ("target met" if hit >= TARGET_CACHED_SHARE else "TARGET MISSED")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
