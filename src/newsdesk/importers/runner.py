"""Importing files: detect each file's format, parse everything, then write in one transaction.

Parsing every file before writing anything means a malformed file stops the run with a message
naming the file and line, and nothing of the batch is half-imported.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from newsdesk.importers.base import MAX_ARTICLES, ImportFailure, ParsedFile, printable, read_text
from newsdesk.importers.ghost import looks_like_ghost, parse_ghost
from newsdesk.importers.image_run import RunImages, finder_for, remove_new_files
from newsdesk.importers.jsonl import parse_jsonl
from newsdesk.importers.markdown import parse_markdown
from newsdesk.importers.media import ImageOptions
from newsdesk.importers.plaintext import EXPECTED_LAYOUT, parse_plaintext
from newsdesk.importers.substack import looks_like_substack, parse_substack
from newsdesk.importers.wxr import looks_like_wxr, parse_wxr
from newsdesk.news.indexing import indexing_deferred
from newsdesk.news.models import ArticlePage, Author, PlainPage, Topic
from newsdesk.news.services import (
    SaveResult,
    article_save,
    author_details_save,
    home_page_ensure,
    old_paths_keep,
    plain_page_save,
)
from newsdesk.newsletter.subscriptions.member_imports import members_import
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
# The names ``--format`` takes, and the parser each stands for: for a file whose extension or
# start would be read as something else (a WordPress export saved as .txt).
FORMAT_CHOICES = {
    "wordpress": "wxr",
    "ghost": "ghost",
    "substack": "substack",
    "jsonl": "jsonl",
    "markdown": "markdown",
    "text": "text",
}
# What an empty file of a format should have held, for the formats whose layout is not obvious.
EXPECTED = {"text": EXPECTED_LAYOUT}
MAX_FILES = 10_000


KINDS = ("articles", "pages", "topics", "authors", "images", "subscribers")
COLUMNS = ("created", "updated", "skipped", "refused")
# Formats whose items carry their own status (published, scheduled, draft): --publish would
# put the source's drafts and private posts live, so it is refused for them.
FORMATS_WITH_STATUS = {
    "wxr": "a WordPress export",
    "ghost": "a Ghost export",
    "substack": "a Substack export",
}


@dataclass
class ImportReport:
    # The articles' results (created, updated, skipped), as the first line of the summary.
    counts: Counter[SaveResult] = field(default_factory=Counter)
    files: int = 0
    # "file: note" for each file's remarks (lines dropped as page furniture).
    remarks: list[str] = field(default_factory=list)
    # What the files held that was left out or changed ("page not imported" -> 3).
    notes: Counter[str] = field(default_factory=Counter)
    redirects: int = 0
    # Every kind's results, for the table: tally["subscribers"]["created"].
    tally: dict[str, Counter[str]] = field(
        default_factory=lambda: {kind: Counter() for kind in KINDS}
    )
    # Why items were refused: ("subscribers", "not a valid email address") -> 2.
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)
    dry_run: bool = False

    def table(self) -> str:
        """Created / updated / skipped / refused for each kind the run touched."""
        rows = [kind for kind in KINDS if sum(self.tally[kind].values())]
        width = max(len(kind) for kind in KINDS)
        lines = [" " * width + "".join(f"{column:>10}" for column in COLUMNS)]
        for kind in rows:
            lines.append(
                kind.ljust(width) + "".join(f"{self.tally[kind][c]:>10,}" for c in COLUMNS)
            )
        return "\n".join(lines)

    def summary(self) -> str:
        lines = ["Dry run: nothing was written. A real run would do this:"] if self.dry_run else []
        lines += [
            f"{self.files} file(s): {self.counts['created']} created, "
            f"{self.counts['updated']} updated, {self.counts['skipped']} skipped"
        ]
        # The table only when more than articles came in (a plain-text run needs no table).
        if any(sum(self.tally[kind].values()) for kind in KINDS if kind != "articles"):
            lines.append(self.table())
        if self.redirects:
            lines.append(f"{self.redirects} old address(es) now redirect to their new one")
        lines.extend(f"{count} × {note}" for note, count in sorted(self.notes.items()))
        lines.extend(
            f"{count} × {kind} refused: {reason}"
            for (kind, reason), count in sorted(self.refusals.items())
        )
        return "\n".join(lines)


# Exports of other systems this importer does not read yet: refused by name, not read as a page
# of plain text (a WordPress export became one article headed "<rss version="2.0" …>").
UNSUPPORTED_EXPORTS = {
    ".xml": "an XML file that is not a WordPress export (WXR)",
    ".json": "a JSON file that is not a Ghost export",
    ".zip": "a ZIP archive that is not a Substack export (no posts.csv)",
    ".csv": "a CSV file",
    ".html": "an HTML file",
    ".htm": "an HTML file",
}


def _refuse_unsupported(path: Path, what: str | None = None) -> None:
    what = what or UNSUPPORTED_EXPORTS.get(path.suffix.lower())
    if what:
        raise ImportFailure(
            path,
            None,
            f"{what} cannot be imported yet: newsdesk reads plain text (.txt), "
            "Markdown (.md), JSON Lines (.jsonl), WordPress exports (WXR .xml), Ghost "
            "exports (.json) and Substack exports (.zip)",
        )


def detect_format(path: Path, text: str) -> str:
    """By extension first; for anything else, by the first characters of the content."""
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    start = text.lstrip()
    if start.startswith("<"):
        _refuse_unsupported(path, "markup (XML or HTML)")
    if start.startswith("{"):
        return "jsonl"
    if start.startswith("---") or start.startswith("# "):
        return "markdown"
    return "text"


def _files_under(folder: Path) -> Iterator[Path]:
    """Files with a known extension anywhere under ``folder``, without following links.

    A loop with its own stack: ``Path.rglob`` and ``os.walk`` recurse once per level and end
    in a RecursionError (a traceback) on a folder nested a thousand deep, which an unpacked
    archive can hold.
    """
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                children = list(entries)
        except OSError as exc:
            raise ImportFailure(current, None, f"cannot read the folder: {exc.strerror}") from None
        for entry in children:
            if entry.is_symlink():
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                if Path(entry.name).suffix.lower() in EXTENSIONS:
                    yield Path(entry.path)


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus files with a known extension inside named folders.

    Symbolic links inside folders are not followed: an archive unpacked into a folder must not
    lead the importer out of it. A path named directly may be a pipe or a device
    (``/dev/stdin``, ``<(zcat archive.jsonl.gz)``): ``read_bytes`` reads it up to the limit.
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found: list[Path] = []
            for child in _files_under(path):
                found.append(child)
                if len(files) + len(found) > MAX_FILES:
                    break
            files.extend(sorted(found))
        elif path.exists():
            files.append(path)
        else:
            raise ImportFailure(path, None, "no such file or folder")
        if len(files) > MAX_FILES:
            raise ImportFailure(path, None, f"more than {MAX_FILES:,} files; import in batches")
    return files


def _parse_file(path: Path, *, include_private: bool, format: str | None = None) -> ParsedFile:
    """``format`` (a value of FORMAT_CHOICES) when the operator named one, else detected."""
    # A WordPress export is recognised by its start and streamed, whatever its name (but a
    # Markdown or text file that quotes one is still that).
    if format == "wxr" or (
        format is None and path.suffix.lower() not in EXTENSIONS and looks_like_wxr(path)
    ):
        return parse_wxr(path, include_private=include_private)
    if format == "ghost" or (
        format is None and path.suffix.lower() not in EXTENSIONS and looks_like_ghost(path)
    ):
        return parse_ghost(path, include_private=include_private)
    if format == "substack" or (
        format is None and path.suffix.lower() not in EXTENSIONS and looks_like_substack(path)
    ):
        return parse_substack(path, include_private=include_private)
    if format is None:
        _refuse_unsupported(path)  # by name, before reading (a .zip is not text at all)
    format = format or EXTENSIONS.get(path.suffix.lower())
    text = read_text(path, expected=EXPECTED.get(format or "", ""))
    return PARSERS[format or detect_format(path, text)](path, text)


def parse_files(
    paths: Iterable[Path], *, include_private: bool = False, format: str | None = None
) -> list[ParsedFile]:
    parsed: list[ParsedFile] = []
    articles = 0
    for path in expand_paths(paths):
        parsed_file = _parse_file(path, include_private=include_private, format=format)
        articles += len(parsed_file.articles)
        if articles > MAX_ARTICLES:
            raise ImportFailure(
                path, None, f"more than {MAX_ARTICLES:,} articles in one run; import in batches"
            )
        parsed.append(parsed_file)
    return parsed


def import_paths(
    paths: Iterable[Path],
    *,
    publish: bool,
    on_article: Callable[[str, str], None] | None = None,
    draft: bool = False,
    include_private: bool = False,
    reconfirm: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    format: str | None = None,
    dry_run: bool = False,
    images: ImageOptions | None = None,
    on_image_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import the files; raises ``ImportFailure`` before writing anything if one is malformed.

    Articles whose source has a status (WordPress, Ghost, Substack) keep it unless ``draft``;
    ``publish`` is refused for them, since it would put the source's drafts and private posts
    live. Subscribers subscribed on the source arrive confirmed, or with ``reconfirm`` pending
    with a confirmation email (``member_imports``). ``on_progress(done, total)`` hears of each
    article written. ``format`` is a value of FORMAT_CHOICES, for every file.

    ``dry_run`` writes everything inside the transaction and then rolls it back, so that its
    report counts exactly what a real run would create, update and skip. Nothing leaves the
    transaction meanwhile: Related Stories refreshes are queued only on commit, and no
    confirmation email is owed (``reconfirm`` is counted, not acted on).

    ``images`` says where the files of the exports' pictures may be found (a ``--media``
    folder, downloads); they are looked up before the transaction, ``on_image_progress``
    hearing of each. Without a source, pictures stay links to their old addresses. The files
    of images a run stored are deleted again if it does not commit (``image_run``).
    """
    parsed = parse_files(paths, include_private=include_private, format=format)
    for parsed_file in parsed:
        if publish and parsed_file.format in FORMATS_WITH_STATUS:
            raise ImportFailure(
                parsed_file.path,
                None,
                f"--publish is refused for {FORMATS_WITH_STATUS[parsed_file.format]}: its posts "
                "keep their status (published, scheduled or draft), so no draft goes live by "
                "accident; use --draft to import them all as drafts",
            )
    report = ImportReport(files=len(parsed))
    report.remarks = [printable(f"{f.path}: {remark}") for f in parsed for remark in f.remarks]
    total = sum(len(f.articles) + len(f.pages) for f in parsed)
    # A real run refreshes Related Stories once for the batch, after the commit; a dry run's
    # refreshes are queued per article inside the transaction, and dropped with its rollback.
    refreshes = nullcontext() if dry_run else refresh_deferred()
    items = [item for f in parsed for item in (*f.articles, *f.pages)]
    with tempfile.TemporaryDirectory(prefix="newsdesk-import-") as workdir:
        authors = [author for f in parsed for author in f.authors]
        finder = finder_for(
            images or ImageOptions(), Path(workdir), items, authors, on_image_progress
        )
        run_images = RunImages(finder)
        try:
            _write(
                parsed,
                report,
                run_images,
                publish=publish,
                draft=draft,
                reconfirm=reconfirm,
                dry_run=dry_run,
                refreshes=refreshes,
                on_article=on_article,
                on_progress=on_progress,
                total=total,
            )
        except BaseException:
            remove_new_files(run_images.new_files)
            raise
        if dry_run:
            remove_new_files(run_images.new_files)
    report.tally["images"].update(run_images.tally)
    report.refusals.update({("images", reason): n for reason, n in run_images.refusals.items()})
    report.notes.update(run_images.notes)
    report.remarks.extend(run_images.named_refusals)
    if run_images.tally["refused"] > len(run_images.named_refusals):
        report.remarks.append(
            f"… and {run_images.tally['refused'] - len(run_images.named_refusals):,} more "
            "image(s) refused (counted below)"
        )
    report.dry_run = dry_run
    return report


def _write(
    parsed: list[ParsedFile],
    report: ImportReport,
    run_images: RunImages,
    *,
    publish: bool,
    draft: bool,
    reconfirm: bool,
    dry_run: bool,
    refreshes: AbstractContextManager[object],
    on_article: Callable[[str, str], None] | None,
    on_progress: Callable[[int, int], None] | None,
    total: int,
) -> None:
    """Everything the parsed files hold, in one transaction (rolled back on a dry run)."""
    done = 0
    with refreshes, transaction.atomic(), _rolled_back_if(dry_run), indexing_deferred():
        before = _library_counts()
        home = home_page_ensure()
        for parsed_file in parsed:
            report.notes.update(parsed_file.notes)
            report.refusals.update(parsed_file.refused)
            for (kind, _reason), count in parsed_file.refused.items():
                report.tally[kind]["refused"] += count
            # Authors' bios and portraits first: a new author is created with them (counted
            # with the others below), an existing one only has what it lacked filled in.
            for author in parsed_file.authors:
                photo_id = run_images.image_id(author.photo_url) if author.photo_url else None
                result = author_details_save(name=author.name, bio=author.bio, photo_id=photo_id)
                if result == "updated":
                    report.tally["authors"]["updated"] += 1
            for data in parsed_file.articles:
                data = run_images.applied(data)
                live = publish if data.wanted_live is None or draft else data.wanted_live
                article, result = article_save(data=data, publish=live, home=home)
                report.counts[result] += 1
                report.tally["articles"][result] += 1
                # Only to a live article: a redirect to a draft or a scheduled one would answer
                # 301 to a 404, and tell its new slug (its headline) before publication. A later
                # re-import adds them once an editor has published it.
                if data.old_paths and ArticlePage.objects.filter(pk=article.pk, live=True).exists():
                    report.redirects += old_paths_keep(page=article, paths=data.old_paths)
                if on_article:
                    on_article(result, article.title)
                done += 1
                if on_progress:
                    on_progress(done, total)
            for data in parsed_file.pages:
                data = run_images.applied(data)
                live = publish if data.wanted_live is None or draft else data.wanted_live
                page, result = plain_page_save(data=data, publish=live, home=home)
                report.tally["pages"][result] += 1
                if data.old_paths and PlainPage.objects.filter(pk=page.pk, live=True).exists():
                    report.redirects += old_paths_keep(page=page, paths=data.old_paths)
                if on_article:
                    on_article(result, page.title)
                done += 1
                if on_progress:
                    on_progress(done, total)
        # Subscribers last: with ``reconfirm`` their emails are queued as they are written.
        for parsed_file in parsed:
            if parsed_file.members:
                members = members_import(
                    members=parsed_file.members,
                    platform=parsed_file.platform or parsed_file.format,
                    reconfirm=reconfirm and not dry_run,
                )
                report.tally["subscribers"]["created"] += members.created
                report.tally["subscribers"]["skipped"] += members.already_present
        after = _library_counts()
        for kind in ("topics", "authors"):
            report.tally[kind]["created"] += after[kind] - before[kind]


@contextmanager
def _rolled_back_if(dry_run: bool) -> Iterator[None]:
    """At the end of the block, mark the enclosing transaction to be rolled back on a dry run.

    Between the transaction and ``indexing_deferred``, so that the index is written (and rolled
    back) first: once a transaction is marked, Django refuses any further query in it.
    """
    yield
    if dry_run:
        transaction.set_rollback(True)


def _library_counts() -> dict[str, int]:
    """How many topics and authors there are, to count what a run created."""
    return {"topics": Topic.objects.count(), "authors": Author.objects.count()}
