#!/usr/bin/env python3
"""Related-stories quality on the topic-labelled BBC News set, against two baselines.

The articles are imported through newsdesk's own importer *without* their topic, the engine
builds its lists (``newsdesk related rebuild``), and each stored list is scored by the share of
its stories that have the query article's topic (precision@5) and by nDCG@5 with the same
relevance. Baselines computed here on the same articles: random picks, and plain TF-IDF cosine
(no stemming, no field weights, no latent view, no recency, no de-duplication).

With ``--incremental`` the lists are first built the way a newsroom's publishing builds them:
the articles enter one at a time in publication order, each through ``related_refresh`` (what
the task queued on publishing runs), with the tasks that queues run after it as the worker
would; those lists are scored, then the rebuild's, and the difference is printed. The set has
no dates, so the publication order is the file's order shuffled with ``--seed`` (the file is
sorted by topic, an order no newsroom publishes in); ``--seed -1`` keeps the file's order.

    .venv/bin/python benchmarks/related_quality.py [--data PATH] [--limit N]
        [--incremental [--seed N]]

The data set stays where it is (its licence allows benchmarking, not redistribution).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data/bbc-news/articles.jsonl"
K = 5


def precision_and_ndcg(lists: dict[str, list[str]], topic: dict[str, str]) -> tuple[float, float]:
    ideal = sum(1 / math.log2(i + 2) for i in range(K))
    precisions, gains = [], []
    for query, related in lists.items():
        hits = [1.0 if topic[other] == topic[query] else 0.0 for other in related[:K]]
        hits += [0.0] * (K - len(hits))  # a short list is scored as if padded with misses
        precisions.append(sum(hits) / K)
        gains.append(sum(h / math.log2(i + 2) for i, h in enumerate(hits)) / ideal)
    return float(np.mean(precisions)), float(np.mean(gains))


def random_baseline(ids: list[str], seed: int = 1) -> dict[str, list[str]]:
    rng = random.Random(seed)
    return {q: rng.sample([i for i in ids if i != q], K) for q in ids}


def tfidf_baseline(records: list[dict]) -> dict[str, list[str]]:
    """Textbook TF-IDF cosine over headline + body: the bar the engine has to clear."""
    token = re.compile(r"[a-z]{2,}")
    docs = [Counter(token.findall((r["title"] + " " + r["body"]).lower())) for r in records]
    vocabulary = {t: i for i, t in enumerate(sorted({t for d in docs for t in d}))}
    df = np.zeros(len(vocabulary))
    for d in docs:
        for t in d:
            df[vocabulary[t]] += 1
    idf = np.log(len(docs) / df) + 1
    matrix = np.zeros((len(docs), len(vocabulary)), dtype=np.float32)
    for row, d in enumerate(docs):
        for t, c in d.items():
            matrix[row, vocabulary[t]] = c * idf[vocabulary[t]]
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    similarity = matrix @ matrix.T
    np.fill_diagonal(similarity, -1)
    top = np.argsort(-similarity, axis=1)[:, :K]
    ids = [r["id"] for r in records]
    return {ids[i]: [ids[j] for j in top[i]] for i in range(len(ids))}


def _setup(workdir: Path) -> None:
    os.environ["NEWSDESK_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def _import(records: list[dict], workdir: Path) -> float:
    """Import the articles (in the order given) without their topics; returns the seconds."""
    from newsdesk.importers.runner import import_paths

    source = workdir / "articles.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({"id": r["id"], "title": r["title"], "body": r["body"]}) + "\n")
    started = time.perf_counter()
    import_paths([source], publish=True)
    return time.perf_counter() - started


def _stored_lists() -> dict[str, list[str]]:
    """The stored lists, by external id."""
    from newsdesk.news.models import ArticlePage
    from newsdesk.related.models import RelatedLink

    external = dict(ArticlePage.objects.values_list("pk", "import_external_id"))
    lists: dict[str, list[str]] = {external[pk]: [] for pk in external}
    for source_id, target_id in RelatedLink.objects.order_by("source_id", "rank").values_list(
        "source_id", "target_id"
    ):
        lists[external[source_id]].append(external[target_id])
    return lists


def _publish_one_by_one() -> float:
    """Enter the imported articles into Related Stories one at a time, oldest first, as
    publishing does; returns the seconds. The import queued one batched refresh for them all
    (a rebuild): it is dropped, since the point is the lists publishing builds."""
    from django_tasks_db.models import DBTaskResult

    from newsdesk.news.models import ArticlePage
    from newsdesk.ops.management.commands.worker import Command as Worker
    from newsdesk.related.services import related_refresh

    DBTaskResult.objects.all().delete()
    order = ArticlePage.objects.order_by("first_published_at", "pk").values_list("pk", flat=True)
    started = time.perf_counter()
    for article_id in list(order):
        related_refresh(article_id=article_id)
        Worker.tasks_drain()  # whatever the refresh queued for the worker
    return time.perf_counter() - started


def engine_lists(
    records: list[dict], workdir: Path, *, incremental: bool
) -> tuple[dict[str, list[str]], dict[str, list[str]] | None, dict[str, float]]:
    """Import without topics and read the stored lists back by external id: after a rebuild,
    and (``incremental``) before it, as one-by-one publishing left them."""
    _setup(workdir)
    from newsdesk.related import registry
    from newsdesk.related.services import related_rebuild

    timings = {"import_s": _import(records, workdir)}
    one_by_one = None
    if incremental:
        timings["incremental_s"] = _publish_one_by_one()
        one_by_one = _stored_lists()
        registry.forget()
    started = time.perf_counter()
    related_rebuild()
    timings["rebuild_s"] = time.perf_counter() - started
    return _stored_lists(), one_by_one, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument(
        "--limit", type=int, default=0, help="use only the first N articles (after the shuffle)"
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="also score the lists built by publishing the articles one at a time",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="shuffle of the publication order (default %(default)s; -1: the file's order)",
    )
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} is not here (the data set is not part of the repository)")
        return
    records = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
    if args.seed >= 0:
        random.Random(args.seed).shuffle(records)
    if args.limit:
        records = records[: args.limit]
    topic = {r["id"]: r["topic"] for r in records}
    ids = [r["id"] for r in records]
    with tempfile.TemporaryDirectory(prefix="newsdesk-quality-") as tmp:
        lists, one_by_one, timings = engine_lists(records, Path(tmp), incremental=args.incremental)
    rows = [
        ("random", precision_and_ndcg(random_baseline(ids), topic)),
        ("TF-IDF cosine", precision_and_ndcg(tfidf_baseline(records), topic)),
        ("newsdesk engine", precision_and_ndcg(lists, topic)),
    ]
    if one_by_one is not None:
        rows.append(("  one by one", precision_and_ndcg(one_by_one, topic)))
    short = sum(1 for q in ids if len(lists.get(q, [])) < K)
    print(f"{len(records)} articles, imported without topics; {short} lists shorter than {K}")
    done = f"import {timings['import_s']:.1f} s, rebuild {timings['rebuild_s']:.1f} s"
    if one_by_one is not None:
        done += f", one-by-one publishing {timings['incremental_s']:.1f} s"
    print(done)
    print(f"{'method':<18}{'precision@5':>12}{'nDCG@5':>9}")
    for name, (p, n) in rows:
        print(f"{name:<18}{p:>12.3f}{n:>9.3f}")
    if one_by_one is not None:
        (p_rebuilt, n_rebuilt), (p_each, n_each) = rows[2][1], rows[3][1]
        same = sum(1 for q in ids if one_by_one.get(q) == lists.get(q))
        shared = sum(len(set(one_by_one.get(q, [])) & set(lists.get(q, []))) for q in ids)
        listed = sum(len(lists.get(q, [])) for q in ids) or 1
        print(
            f"one by one minus rebuild: precision@5 {100 * (p_each - p_rebuilt):+.1f} points, "
            f"nDCG@5 {100 * (n_each - n_rebuilt):+.1f} points"
        )
        print(
            f"{same} of {len(ids)} lists identical to the rebuild's; "
            f"{shared / listed:.1%} of the rebuild's stories also listed one by one"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
