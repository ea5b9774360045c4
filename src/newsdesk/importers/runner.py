"""Importing files: detect each file's format, parse everything, then write in one transaction.

Parsing every file before writing anything means a malformed file stops the run with a message
naming the file and line, and nothing of the batch is half-imported.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from newsdesk.importers.base import ImportFailure, ParsedFile
from newsdesk.importers.jsonl import parse_jsonl
from newsdesk.importers.markdown import parse_markdown
from newsdesk.importers.plaintext import parse_plaintext
from newsdesk.news.indexing import indexing_deferred
from newsdesk.news.services import SaveResult, article_save, home_page_ensure
from newsdesk.related.triggers import refresh_deferred

PARSERS: dict[str, Callable[[Path, str | None], ParsedFile]] = {
    "jsonl": parse_jsonl,
    "markdown": parse_markdown,
    "text": parse_plaintext,
}
EXTENSIONS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}
MAX_FILES = 10_000


@dataclass
class ImportReport:
    counts: Counter[SaveResult] = field(default_factory=Counter)
    files: int = 0

    def summary(self) -> str:
        return (
            f"{self.files} file(s): {self.counts['created']} created, "
            f"{self.counts['updated']} updated, {self.counts['skipped']} skipped"
        )


def detect_format(path: Path, text: str) -> str:
    """By extension first; for anything else, by the first characters of the content."""
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    start = text.lstrip()
    if start.startswith("{"):
        return "jsonl"
    if start.startswith("---") or start.startswith("# "):
        return "markdown"
    return "text"


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus files with a known extension inside named folders.

    Symbolic links inside folders are not followed: an archive unpacked into a folder must not
    lead the importer out of it.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_symlink() or not child.is_file():
                    continue
                if child.suffix.lower() in EXTENSIONS:
                    files.append(child)
        elif path.exists():
            files.append(path)
        else:
            raise ImportFailure(path, None, "no such file or folder")
        if len(files) > MAX_FILES:
            raise ImportFailure(path, None, f"more than {MAX_FILES:,} files; import in batches")
    return files


def parse_files(paths: Iterable[Path]) -> list[ParsedFile]:
    from newsdesk.importers.base import read_text

    parsed: list[ParsedFile] = []
    for path in expand_paths(paths):
        text = read_text(path)
        parsed.append(PARSERS[detect_format(path, text)](path, text))
    return parsed


def import_paths(
    paths: Iterable[Path],
    *,
    publish: bool,
    on_article: Callable[[str, str], None] | None = None,
) -> ImportReport:
    """Import the files; raises ``ImportFailure`` before writing anything if one is malformed."""
    parsed = parse_files(paths)
    report = ImportReport(files=len(parsed))
    with refresh_deferred(), transaction.atomic(), indexing_deferred():
        home = home_page_ensure()
        for parsed_file in parsed:
            for data in parsed_file.articles:
                article, result = article_save(data=data, publish=publish, home=home)
                report.counts[result] += 1
                if on_article:
                    on_article(result, article.title)
    return report
