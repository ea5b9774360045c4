"""The admin's uploaded imports, run by the worker (inline with the immediate backend)."""

from __future__ import annotations

from django_tasks import task

from newsdesk.importers.jobs import import_job_run


@task()
def run_import_job(*, job_id: int) -> str:
    job = import_job_run(job_id=job_id)
    return job.status if job else "not queued"
