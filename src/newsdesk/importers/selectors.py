"""Reads for the admin's import pages."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.db.models import QuerySet

from newsdesk.importers.jobs import PROGRESS_FILE, job_folder
from newsdesk.importers.models import ImportJob

RECENT_JOBS = 20


@dataclass(frozen=True)
class JobProgress:
    done: int
    total: int

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


def recent_import_jobs() -> QuerySet[ImportJob]:
    return ImportJob.objects.select_related("created_by")[:RECENT_JOBS]


def import_job_progress(job: ImportJob) -> JobProgress:
    """While running, what the worker last wrote beside the upload; after, the row's figures."""
    if job.status != ImportJob.Status.RUNNING:
        return JobProgress(job.done, job.total)
    try:
        data = json.loads((job_folder(job) / PROGRESS_FILE).read_text())
        return JobProgress(int(data["done"]), int(data["total"]))
    except (OSError, ValueError, KeyError, TypeError):
        return JobProgress(0, 0)  # still reading the file: nothing written yet
