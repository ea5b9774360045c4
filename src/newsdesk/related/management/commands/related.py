from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.news.models import ArticlePage
from newsdesk.related.models import RelatedLink
from newsdesk.related.services import related_rebuild


class Command(BaseCommand):
    help = (
        "Related stories. `related SLUG` prints an article's related stories with scores; "
        "`related --all --format jsonl` prints one JSON line per published article; "
        "`related rebuild [--progress]` recomputes every list."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", nargs="?", help="an article's slug, or 'rebuild'")
        parser.add_argument("--all", action="store_true", help="every published article")
        parser.add_argument("--format", choices=["text", "jsonl"], default="text")
        parser.add_argument("--progress", action="store_true", help="show progress (rebuild)")

    def handle(self, *args: Any, **options: Any) -> None:
        target = options["target"]
        if target == "rebuild":
            self._rebuild(options["progress"])
        elif options["all"]:
            if target:
                raise CommandError("give either a slug or --all, not both")
            self._print_all(options["format"])
        elif target:
            self._print_one(target, options["format"])
        else:
            raise CommandError("give an article's slug, --all, or 'rebuild'")

    def _lists(self, articles: list[ArticlePage]) -> dict[int, list[tuple[str, float, bool]]]:
        """Stored lists of these articles: (slug, score, pinned), published targets only."""
        published = ArticlePage.objects.published()
        links = (
            RelatedLink.objects.filter(source__in=articles, target__in=published)
            .select_related(None)
            .values_list("source_id", "target__slug", "score", "pinned")
            .order_by("source_id", "rank")
        )
        lists: dict[int, list[tuple[str, float, bool]]] = {a.pk: [] for a in articles}
        for source_id, slug, score, pinned in links:
            lists[source_id].append((slug, score, pinned))
        return lists

    def _print_one(self, slug: str, fmt: str) -> None:
        article = ArticlePage.objects.published().filter(slug=slug).first()
        if article is None:
            raise CommandError(f"no published article with the slug {slug!r}")
        related = self._lists([article])[article.pk]
        if fmt == "jsonl":
            self.stdout.write(json.dumps({"slug": slug, "related": [s for s, _, _ in related]}))
            return
        self.stdout.write(f"{article.title} ({slug})")
        if not related:
            self.stdout.write("  no related stories stored (run `newsdesk related rebuild`)")
        for rank, (other, score, pinned) in enumerate(related, start=1):
            self.stdout.write(f"  {rank}. {score:6.3f}{' pinned' if pinned else ''}  {other}")

    def _print_all(self, fmt: str) -> None:
        batch = 1000
        articles = ArticlePage.objects.published().order_by("pk").only("pk", "slug", "title")
        chunk: list[ArticlePage] = []
        for article in articles.iterator(chunk_size=batch):
            chunk.append(article)
            if len(chunk) == batch:
                self._write_chunk(chunk, fmt)
                chunk = []
        if chunk:
            self._write_chunk(chunk, fmt)

    def _write_chunk(self, chunk: list[ArticlePage], fmt: str) -> None:
        lists = self._lists(chunk)
        for article in chunk:
            related = lists[article.pk]
            if fmt == "jsonl":
                line = json.dumps({"slug": article.slug, "related": [s for s, _, _ in related]})
            else:
                line = f"{article.slug}: {', '.join(s for s, _, _ in related) or '-'}"
            self.stdout.write(line)

    def _rebuild(self, show_progress: bool) -> None:
        def progress(done: int, total: int) -> None:
            width = 40
            filled = width * done // max(total, 1)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            sys.stderr.flush()

        count = related_rebuild(progress=progress if show_progress else None)
        if show_progress:
            sys.stderr.write("\n")
        self.stdout.write(self.style.SUCCESS(f"Related stories rebuilt for {count} articles"))
