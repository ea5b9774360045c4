"""``newsdesk export``: the publication out, as Ghost's JSON, JSON Lines or the subscriber CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.importers.exports import (
    ExportReport,
    export_ghost,
    export_jsonl,
    export_subscribers,
)
from newsdesk.importers.progress import CommandProgress

EXPORTERS = {"ghost": export_ghost, "jsonl": export_jsonl}


class Command(BaseCommand):
    help = (
        "Export the publication so that nothing is locked in. 'newsdesk export OUT.json' writes "
        "a Ghost export (Ghost 6's shape: articles, plain pages, topics, authors and "
        "subscribers) that Ghost's importer (Settings → Advanced → Import/Export) and "
        "'newsdesk import' read; '--format jsonl' writes the articles as newsdesk's JSON Lines; "
        "'newsdesk export subscribers OUT.csv' writes every subscriber as the admin's CSV "
        "export does (formula-safe). The file appears only once it is complete."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "target",
            nargs="+",
            metavar="[subscribers] OUT",
            help="The file to write; 'subscribers OUT.csv' for the subscriber list.",
        )
        parser.add_argument(
            "--format",
            choices=sorted(EXPORTERS),
            default="ghost",
            help="For the publication: ghost (the default) or jsonl (articles only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target: list[str] = options["target"]
        if len(target) == 2 and target[0] == "subscribers":
            export, out, what = export_subscribers, Path(target[1]), "subscribers"
        elif len(target) == 1 and target[0] != "subscribers":
            export, out, what = EXPORTERS[options["format"]], Path(target[0]), "items"
        else:
            raise CommandError("name one file to write: 'export OUT' or 'export subscribers OUT'")
        if not out.parent.is_dir():
            raise CommandError(f"{out}: the folder {out.parent} does not exist")
        if out.is_dir():
            raise CommandError(f"{out}: is a folder; name the file to write")
        progress = CommandProgress(self.stderr, what=what, shown=options["verbosity"] >= 1)
        try:
            report: ExportReport = export(out, on_progress=progress)
        except OSError as exc:
            raise CommandError(
                f"{out}: cannot write: {exc.strerror or exc} (nothing written)"
            ) from None
        finally:
            progress.finish()
        self.stdout.write(self.style.SUCCESS(report.summary()))
