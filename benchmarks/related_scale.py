#!/usr/bin/env python3
"""Related stories at archive scale: full rebuild time and memory, and the cost of one publish.

    .venv/bin/python benchmarks/related_scale.py [--sizes 10000 100000] [--publishes 30]
        [--keep DIR]

For each size a fresh SQLite database is filled with that many published articles whose text is
varied from the BBC News development set (paragraphs of one article, one paragraph of another
on the same subject, shuffled; read from ../shared/data, never copied into the repository).
Then, each in its own process so peak memory is its own:

1. ``newsdesk related rebuild``: wall time and peak resident memory;
2. a worker that loads the index (as a task worker does once), then publishes new articles one
   at a time and times ``related_refresh`` for each: the article's own list plus every list it
   enters or leaves. The page save itself is excluded, as the issue asks.

"base MB" is the worker's resident memory before it loads the index (Python, Django, Wagtail,
numpy and scipy): the index's own share is the difference. The load average is printed before
and after each size: on a busy machine the timings are not worth much.

With ``--keep DIR`` each archive is kept in DIR/<size> and reused by later runs (no fill); the
measured publishes stay in it (new articles each run), so it has a few more articles each time.

Targets (issue #3): publish <= 50 ms p50 at 100k, rebuild <= 10 min at 100k, peak <= 500 MB.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared/data/bbc-news/articles.jsonl"
PYTHON = sys.executable


def _setup_django(data_dir: Path) -> None:
    os.environ["NEWSDESK_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "newsdesk.settings"
    sys.path.insert(0, str(HERE))
    import django

    django.setup()


def _records() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]


def content_maker(records: list[dict]):  # type: ignore[no-untyped-def]
    by_topic: dict[str, list[dict]] = {}
    for record in records:
        by_topic.setdefault(record["topic"], []).append(record)

    def make(rng: random.Random, number: int) -> tuple[str, str, str]:
        base = records[number % len(records)]
        other = rng.choice(by_topic[base["topic"]])
        paragraphs = [p for p in base["body"].split("\n\n") if p.strip()]
        extra = [p for p in other["body"].split("\n\n") if p.strip()]
        lead, rest = paragraphs[0], [*paragraphs[1:], rng.choice(extra)]
        rng.shuffle(rest)
        body = "".join(f"<p>{html.escape(p)}</p>" for p in [lead, *rest])
        return base["title"], "", body

    return make


def fill(data_dir: Path, size: int) -> float:
    _setup_django(data_dir)
    from django.core.management import call_command
    from fill import articles_fill

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    articles_fill(count=size, content=content_maker(_records()))
    return time.perf_counter() - started


def child(args: list[str], data_dir: Path) -> tuple[float, float, str]:
    """Run a command; return (wall seconds, peak RSS in MB of that child, its stdout)."""
    env = {**os.environ, "NEWSDESK_DATA_DIR": str(data_dir)}
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    # wait4 rather than wait(): it also reports the child's own peak memory.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode:
        raise RuntimeError(f"{args} failed with exit code {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024, out


def publish_worker(data_dir: Path, publishes: int) -> None:
    """Runs in its own process: load the index, then time refreshes after new publishes."""
    _setup_django(data_dir)
    from datetime import timedelta

    from django.utils import timezone

    from newsdesk.news.services import ArticleInput, article_save
    from newsdesk.related import registry, triggers
    from newsdesk.related.services import related_refresh

    base_mb = _resident_mb()
    started = time.perf_counter()
    with registry.index_in_use() as index:
        size = len(index)
    load_s = time.perf_counter() - started
    # Publishing normally refreshes on commit; here the refresh is timed on its own.
    triggers._deferred.set(set())
    records = _records()
    # New articles every run, also in a kept archive: the same ids again would be edits of the
    # last run's articles, and the same texts again near-duplicates of them.
    run = size
    rng = random.Random(run)
    make = content_maker(records)
    timings = []
    for n in range(publishes):
        title, _, body = make(rng, rng.randrange(len(records)))
        data = ArticleInput(
            title=f"{title} ({n})",
            body_html=body,
            published_at=timezone.now() - timedelta(minutes=1),
            source="scale",
            external_id=f"new-{run}-{n}",
        )
        article, _ = article_save(data=data, publish=True)
        t = time.perf_counter()
        lists = related_refresh(article_id=article.pk)
        timings.append(((time.perf_counter() - t) * 1000, lists))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with registry.index_in_use() as index:
        indexed = len(index)
    result = {"load_s": load_s, "indexed": indexed, "timings": timings, "peak_mb": peak}
    print(json.dumps({**result, "base_mb": base_mb}))


def _resident_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def _archive(size: int, keep: Path | None) -> Iterator[tuple[Path, bool]]:
    """The data directory for an archive of ``size`` articles, and whether it must be filled."""
    if keep is not None:
        data_dir = keep / str(size)
        yield data_dir, not (data_dir / "newsdesk.sqlite3").exists()
        return
    with tempfile.TemporaryDirectory(prefix=f"newsdesk-scale-{size}-") as tmp:
        yield Path(tmp) / "data", True


def measure(size: int, publishes: int, keep: Path | None) -> dict:
    with _archive(size, keep) as (data_dir, empty):
        fill_s = float("nan")
        if empty:
            fill_s, _, _ = child([PYTHON, __file__, "--fill", str(size)], data_dir)
        newsdesk = str(Path(PYTHON).parent / "newsdesk")
        rebuild_s, rebuild_mb, _ = child([newsdesk, "related", "rebuild"], data_dir)
        _, worker_mb, out = child([PYTHON, __file__, "--worker", str(publishes)], data_dir)
        worker = json.loads(out.strip().splitlines()[-1])
    ms = [t for t, _ in worker["timings"]]
    return {
        "size": size,
        "fill_s": fill_s,
        "rebuild_s": rebuild_s,
        "rebuild_mb": rebuild_mb,
        "load_s": worker["load_s"],
        "worker_mb": worker_mb,
        "base_mb": worker["base_mb"],
        "p50_ms": statistics.median(ms),
        "p95_ms": sorted(ms)[max(0, int(len(ms) * 0.95) - 1)],
        "lists": statistics.median(n for _, n in worker["timings"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--publishes", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="keep the archives here and reuse them")
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill is not None:
        fill(Path(os.environ["NEWSDESK_DATA_DIR"]), args.fill)
        return
    if args.worker is not None:
        publish_worker(Path(os.environ["NEWSDESK_DATA_DIR"]), args.worker)
        return
    if not DATA.exists():
        print(f"skipped: {DATA} is not here (the data set is not part of the repository)")
        return
    header = (
        f"{'articles':>9} {'fill s':>7} {'rebuild s':>10} {'rebuild MB':>11} {'load s':>7} "
        f"{'base MB':>8} {'worker MB':>10} {'publish p50 ms':>15} {'p95 ms':>7} "
        f"{'lists/publish':>14} {'load avg':>12}"
    )
    print(header, flush=True)
    for size in args.sizes:
        before = os.getloadavg()[0]
        r = measure(size, args.publishes, args.keep)
        print(
            f"{r['size']:>9,} {r['fill_s']:>7.0f} {r['rebuild_s']:>10.0f} {r['rebuild_mb']:>11.0f}"
            f" {r['load_s']:>7.1f} {r['base_mb']:>8.0f} {r['worker_mb']:>10.0f}"
            f" {r['p50_ms']:>15.1f} {r['p95_ms']:>7.1f} {r['lists']:>14.0f}"
            f" {before:>5.1f} -> {os.getloadavg()[0]:<4.1f}",
            flush=True,
        )
    print("targets at 100k: publish p50 <= 50 ms, rebuild <= 600 s, peak memory <= 500 MB")


if __name__ == "__main__":
    main()
