"""Imports uploaded in the admin: store the upload, queue it, run it in the worker.

The import itself is ``runner.import_paths``, as for the command; this module adds what a
browser needs: the file kept where no URL serves it, a row the job page reads, and progress
written to a small file beside the upload. Not to the row: the import runs in one transaction,
which would hide every update of the row until the end (and on SQLite a second connection
writing meanwhile would wait for the import's lock).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from newsdesk.importers.base import ImportFailure, printable
from newsdesk.importers.models import ImportJob
from newsdesk.importers.runner import import_paths

logger = logging.getLogger(__name__)

# The extensions the importer tells formats by; any other upload is stored without one, and its
# content decides (a WordPress export named "export" is still recognised).
KNOWN_SUFFIXES = {".xml", ".json", ".zip", ".jsonl", ".ndjson", ".md", ".markdown", ".txt", ".text"}
PROGRESS_FILE = "progress.json"
# The progress file is rewritten at most this often: a 10,000-post import writes it 10 times a
# second at most, not 10,000 times.
PROGRESS_EVERY = 0.5


@dataclass(frozen=True)
class ImportOptions:
    """The command's flags, as the upload form sets them."""

    draft: bool = False
    publish: bool = False
    include_private: bool = False
    reconfirm: bool = False
    dry_run: bool = False
    format: str | None = None  # a value of runner.FORMAT_CHOICES, or None to detect


def job_folder(job: ImportJob) -> Path:
    return Path(settings.NEWSDESK_SITE_IMPORT_DIR) / str(job.pk)


def _stored_name(original: str) -> str:
    suffix = Path(original).suffix.lower()
    return "upload" + (suffix if suffix in KNOWN_SUFFIXES else "")


def import_job_create(
    *, upload: UploadedFile, options: ImportOptions, user: Any | None
) -> ImportJob:
    """Keep the upload, record the job, and queue it once the row is committed.

    The file is copied under a name of ours (never the browser's, which could hold ``../``),
    in a folder of the job's own; a failed copy leaves neither the folder nor the row.
    """
    original = printable(Path(upload.name or "upload").name)[:255]
    with transaction.atomic():
        job = ImportJob.objects.create(
            original_name=original,
            stored_name=_stored_name(original),
            size=upload.size or 0,
            options=asdict(options),
            created_by=user,
        )
        folder = job_folder(job)
        try:
            folder.mkdir(parents=True, exist_ok=False)
            with (folder / job.stored_name).open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int) -> None:
    from newsdesk.importers.tasks import run_import_job

    run_import_job.enqueue(job_id=job_id)


class _ProgressWriter:
    """Writes ``{"done": n, "total": m}`` beside the upload, atomically, now and then."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / PROGRESS_FILE
        self.written_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.written_at < PROGRESS_EVERY:
            return
        self.written_at = now
        # Written to a temporary file and renamed: the job page never reads half a file.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".progress-")
        with os.fdopen(handle, "w") as out:
            json.dump({"done": done, "total": total}, out)
        os.replace(temporary, self.path)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run a queued job; None when it is not queued (already run, or taken by another worker).

    Whatever happens, the upload is deleted at the end: it may hold a subscriber list, and a
    failed import is run again by uploading the corrected file.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ImportJob.objects.get(pk=job_id)
    folder = job_folder(job)
    stored = folder / job.stored_name
    options = ImportOptions(**job.options)
    progress = _ProgressWriter(folder)
    fields = ["status", "summary", "error", "done", "total", "finished_at"]
    try:
        report = import_paths(
            [stored],
            publish=options.publish,
            draft=options.draft,
            include_private=options.include_private,
            reconfirm=options.reconfirm,
            dry_run=options.dry_run,
            format=options.format,
            on_progress=progress,
        )
    except ImportFailure as failure:
        # The message names our stored file; the editor knows it by the name they uploaded.
        message = str(failure).replace(str(stored), job.original_name)
        job.status = ImportJob.Status.FAILED
        job.error = f"{message} (nothing was imported)"
    except Exception:
        logger.exception("import job %s failed", job_id)
        job.status = ImportJob.Status.FAILED
        job.error = (
            "The import stopped on an unexpected error, and nothing was imported. The error is "
            "in the worker's log; please report it with the file."
        )
    else:
        job.status = ImportJob.Status.DONE
        remarks = [remark.replace(str(stored), job.original_name) for remark in report.remarks]
        job.summary = "\n".join([*remarks, report.summary()])
        job.done = job.total = sum(report.counts.values())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    job.finished_at = timezone.now()
    job.save(update_fields=fields)
    return job
