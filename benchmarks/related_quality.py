#!/usr/bin/env python3
"""Related-stories quality on the topic-labelled BBC News set, against two baselines.

The articles are imported through newsdesk's own importer *without* their topic, the engine
builds its lists (``newsdesk related rebuild``), and each stored list is scored by the share of
its stories that have the query article's topic (precision@5) and by nDCG@5 with the same
relevance. Baselines computed here on the same articles: random picks, and plain TF-IDF cosine
(no stemming, no field weights, no latent view, no recency, no de-duplication).

    .venv/bin/python benchmarks/related_quality.py [--data PATH] [--limit N]

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


def engine_lists(records: list[dict], workdir: Path) -> tuple[dict[str, list[str]], dict]:
    """Import without topics, rebuild, and read the stored lists back by external id."""
    os.environ["NEWSDESK_DATA_DIR"] = str(workdir / "data")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from newsdesk.importers.runner import import_paths
    from newsdesk.news.models import ArticlePage
    from newsdesk.related.models import RelatedLink
    from newsdesk.related.services import related_rebuild

    call_command("migrate", interactive=False, verbosity=0)
    source = workdir / "articles.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps({"id": r["id"], "title": r["title"], "body": r["body"]}) + "\n")
    timings = {}
    started = time.perf_counter()
    import_paths([source], publish=True)
    timings["import_s"] = time.perf_counter() - started
    started = time.perf_counter()
    related_rebuild()
    timings["rebuild_s"] = time.perf_counter() - started
    external = dict(ArticlePage.objects.values_list("pk", "import_external_id"))
    lists: dict[str, list[str]] = {external[pk]: [] for pk in external}
    for source_id, target_id in RelatedLink.objects.order_by("source_id", "rank").values_list(
        "source_id", "target_id"
    ):
        lists[external[source_id]].append(external[target_id])
    return lists, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=0, help="use only the first N articles")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"skipped: {args.data} is not here (the data set is not part of the repository)")
        return
    records = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
    if args.limit:
        records = records[: args.limit]
    topic = {r["id"]: r["topic"] for r in records}
    ids = [r["id"] for r in records]
    with tempfile.TemporaryDirectory(prefix="newsdesk-quality-") as tmp:
        lists, timings = engine_lists(records, Path(tmp))
    rows = [
        ("random", precision_and_ndcg(random_baseline(ids), topic)),
        ("TF-IDF cosine", precision_and_ndcg(tfidf_baseline(records), topic)),
        ("newsdesk engine", precision_and_ndcg(lists, topic)),
    ]
    short = sum(1 for q in ids if len(lists.get(q, [])) < K)
    print(f"{len(records)} articles, imported without topics; {short} lists shorter than {K}")
    print(f"import {timings['import_s']:.1f} s, rebuild {timings['rebuild_s']:.1f} s")
    print(f"{'method':<18}{'precision@5':>12}{'nDCG@5':>9}")
    for name, (p, n) in rows:
        print(f"{name:<18}{p:>12.3f}{n:>9.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
