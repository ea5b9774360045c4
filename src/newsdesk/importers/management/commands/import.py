from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.importers.base import ImportFailure
from newsdesk.importers.media import ImageOptions
from newsdesk.importers.progress import CommandProgress
from newsdesk.importers.runner import FORMAT_CHOICES, import_paths


class Command(BaseCommand):
    help = (
        "Import articles from plain text, Markdown (with YAML front matter) or JSON Lines "
        "files, or folders of them; the posts and pages of a WordPress export (WXR .xml) and "
        "the posts, pages and members of a Ghost export (.json); the posts and email list of a "
        "Substack export (.zip), named directly (pages become plain pages, members and the "
        "email list subscribers). The format is detected from the "
        "extension, else from the content (or named with --format). Re-importing updates "
        "changed articles and skips unchanged ones. A malformed file stops the import before "
        "anything is written, with its name, line and field. A path may be a pipe such as "
        "/dev/stdin; every input is read up to 64 MB (a WordPress export, streamed, to 1 GB). "
        "Plain text: the headline on the first line (or the page's title, then the headline), "
        "then paragraphs separated by blank lines or one per line; a short line without final "
        "punctuation before a paragraph becomes a heading; page furniture lines (Share, "
        "Advertisement, Image caption, ..., Related Topics) are dropped, and their count is "
        "printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths",
            nargs="+",
            type=Path,
            metavar="PATH",
            help=(
                "A file, a pipe, or a folder (searched for .txt, .text, .md, .markdown, .jsonl "
                "and .ndjson files)."
            ),
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--publish",
            action="store_true",
            help=(
                "Publish the articles (a future date schedules them). Refused for WordPress, "
                "Ghost and Substack exports, whose posts keep their own status."
            ),
        )
        mode.add_argument(
            "--draft",
            action="store_true",
            help=(
                "Keep the articles as drafts for an editor to review (the default; for a "
                "WordPress, Ghost or Substack export, also its published and scheduled posts)."
            ),
        )
        parser.add_argument(
            "--include-private",
            action="store_true",
            help="Import a WordPress export's private posts too, as drafts (left out by default).",
        )
        parser.add_argument(
            "--format",
            choices=sorted(FORMAT_CHOICES),
            help=(
                "Read every file as this format, whatever its name or first characters (by "
                "default each file's format is detected)."
            ),
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help=(
                "Check and import everything inside a transaction, print the summary, and roll "
                "it all back: nothing is written and no email is sent."
            ),
        )
        parser.add_argument(
            "--media",
            type=Path,
            metavar="DIR",
            help=(
                "The old site's uploaded files: WordPress's wp-content/uploads folder, Ghost's "
                "content/images folder, or any folder laid out like the pictures' addresses. "
                "Pictures and featured images found there become images of the library; "
                "without it (or --fetch-images) pictures stay links to their old addresses."
            ),
        )
        parser.add_argument(
            "--fetch-images",
            action="store_true",
            help=(
                "Download the pictures not found in --media from their addresses (http and "
                "https, up to Wagtail's upload size limit each)."
            ),
        )
        parser.add_argument(
            "--reconfirm",
            action="store_true",
            help=(
                "Send the export's subscribers a confirmation email, and only those who confirm "
                "receive digests (by default readers subscribed on the other platform arrive "
                "confirmed, with a consent record naming the import)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def show(result: str, title: str) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"{result:8} {title}")

        # Not when quiet, nor when every article is listed already.
        progress = CommandProgress(self.stderr, what="articles", shown=options["verbosity"] == 1)
        image_progress = CommandProgress(
            self.stderr, what="pictures looked up", shown=options["verbosity"] >= 1
        )
        media = options["media"]
        if media is not None and not media.is_dir():
            raise CommandError(f"--media {media}: no such folder (give the uploads folder)")

        try:
            report = import_paths(
                options["paths"],
                publish=options["publish"],
                draft=options["draft"],
                include_private=options["include_private"],
                reconfirm=options["reconfirm"],
                on_article=show,
                on_progress=progress,
                format=FORMAT_CHOICES.get(options["format"] or ""),
                dry_run=options["dry_run"],
                images=ImageOptions(media=media, fetch=options["fetch_images"]),
                on_image_progress=image_progress,
            )
        except ImportFailure as failure:
            raise CommandError(f"{failure} (nothing was imported)") from None
        finally:
            image_progress.finish()
            progress.finish()
        for remark in report.remarks:
            self.stdout.write(remark)
        self.stdout.write(self.style.SUCCESS(report.summary()))
