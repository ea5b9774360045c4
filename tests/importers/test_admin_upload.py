"""The admin's "Import content" page: staff with the permission upload an export, the worker
(inline here: the immediate task backend) imports it, and the job page shows how it went."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from newsdesk.importers.jobs import PROGRESS_FILE, ImportOptions, _ProgressWriter, job_folder
from newsdesk.importers.models import ImportJob
from newsdesk.importers.selectors import import_job_progress
from newsdesk.news.models import ArticlePage

WXR_SAMPLE = Path(__file__).parent / "samples" / "wordpress.xml"
pytestmark = pytest.mark.django_db

JSONL = b'{"id": "a1", "title": "Uploaded story", "body": "Text of it."}\n'


@pytest.fixture(autouse=True)
def upload_folder(settings: Any, tmp_path: Path) -> Path:
    settings.NEWSDESK_SITE_IMPORT_DIR = tmp_path / "imports"
    return settings.NEWSDESK_SITE_IMPORT_DIR


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("boss", "boss@example.org", "pw"))
    return client


def upload(
    client: Client,
    capture: Callable[..., Any],
    name: str,
    content: bytes,
    **fields: str,
) -> Any:
    data = {"file": SimpleUploadedFile(name, content), "status": "keep", **fields}
    with capture(execute=True):
        return client.post(reverse("importers"), data)


def test_a_wordpress_export_uploaded_is_imported_with_its_statuses(
    admin_client: Client, django_capture_on_commit_callbacks: Any, upload_folder: Path
) -> None:
    response = upload(
        admin_client, django_capture_on_commit_callbacks, "site.xml", WXR_SAMPLE.read_bytes()
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "importers_job", args=[job.pk]
    )
    assert job.status == ImportJob.Status.DONE, job.error
    assert job.created_by is not None and job.created_by.username == "boss"
    assert ArticlePage.objects.filter(import_source="wordpress").exists()
    assert ArticlePage.objects.filter(live=True).exists()
    assert ArticlePage.objects.filter(live=False).exists()  # the export's draft stays one
    assert not job_folder(job).exists()  # the upload is deleted once imported
    page = admin_client.get(response["Location"])
    assert page.status_code == 200
    assert (
        "file(s):" in page.content.decode() and 'http-equiv="refresh"' not in page.content.decode()
    )
    listing = admin_client.get(reverse("importers")).content.decode()
    assert "site.xml" in listing and "Done" in listing


def test_a_malformed_upload_fails_naming_the_file_and_line_and_imports_nothing(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload(
        admin_client,
        django_capture_on_commit_callbacks,
        "batch.jsonl",
        JSONL + b'{"title": "Broken\n',
    )
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("batch.jsonl:2: ") and job.error.endswith("(nothing was imported)")
    assert str(job_folder(job)) not in job.error
    assert not ArticlePage.objects.exists()
    assert job.error in admin_client.get(reverse("importers_job", args=[job.pk])).content.decode()


def test_check_only_writes_nothing_and_reports(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload(admin_client, django_capture_on_commit_callbacks, "b.jsonl", JSONL, dry_run="on")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DONE
    assert job.summary.startswith("Dry run: nothing was written.")
    assert "1 created" in job.summary
    assert not ArticlePage.objects.exists()


def test_publish_and_drafts_are_chosen_in_the_form(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    upload(admin_client, django_capture_on_commit_callbacks, "b.jsonl", JSONL, status="publish")
    assert ArticlePage.objects.get().live
    upload(
        admin_client,
        django_capture_on_commit_callbacks,
        "w.xml",
        WXR_SAMPLE.read_bytes(),
        status="draft",
    )
    assert not ArticlePage.objects.filter(import_source="wordpress", live=True).exists()
    upload(
        admin_client,
        django_capture_on_commit_callbacks,
        "w.xml",
        WXR_SAMPLE.read_bytes(),
        status="publish",
    )
    refused = ImportJob.objects.first()
    assert refused is not None and "--publish is refused" in refused.error


def test_a_hostile_file_name_is_not_used_on_disk(
    admin_client: Client, django_capture_on_commit_callbacks: Any, upload_folder: Path
) -> None:
    data = {"file": SimpleUploadedFile("../../evil\x1b[31m.jsonl", JSONL), "status": "keep"}
    # Not run, so that the stored upload can be looked at.
    admin_client.post(reverse("importers"), data)
    job = ImportJob.objects.get()
    assert job.stored_name == "upload.jsonl"
    assert [p.name for p in job_folder(job).iterdir()] == ["upload.jsonl"]
    assert "/" not in job.original_name and "\x1b" not in job.original_name
    assert list(upload_folder.iterdir()) == [job_folder(job)]


def test_an_oversized_upload_is_refused_in_the_form(
    admin_client: Client, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.NEWSDESK_MAX_REQUEST_BYTES = 1_000
    response = upload(admin_client, django_capture_on_commit_callbacks, "big.jsonl", JSONL * 100)
    assert response.status_code == 200
    assert "the limit is 1,000" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_post_without_a_file_is_a_form_error(admin_client: Client) -> None:
    response = admin_client.post(reverse("importers"), {"status": "keep"})
    assert response.status_code == 200 and "This field is required" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_queued_job_page_refreshes_itself_and_shows_progress(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    admin_client.post(
        reverse("importers"), {"file": SimpleUploadedFile("b.jsonl", JSONL), "status": "keep"}
    )
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING)
    job.refresh_from_db()
    (job_folder(job) / PROGRESS_FILE).write_text(json.dumps({"done": 40, "total": 160}))
    page = admin_client.get(reverse("importers_job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' in page
    assert 'max="160" value="40"' in page and "40 of 160" in page
    assert import_job_progress(job).percent == 25


def test_the_progress_file_is_written_now_and_then_and_at_the_end(tmp_path: Path) -> None:
    writer = _ProgressWriter(tmp_path)
    for done in range(1, 1001):
        writer(done, 1000)
    assert json.loads((tmp_path / PROGRESS_FILE).read_text()) == {"done": 1000, "total": 1000}
    assert [p.name for p in tmp_path.iterdir()] == [PROGRESS_FILE]  # no temporary files left


def test_a_job_runs_once_even_if_queued_twice(
    admin_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from newsdesk.importers.jobs import import_job_run

    upload(admin_client, django_capture_on_commit_callbacks, "b.jsonl", JSONL)
    assert import_job_run(job_id=ImportJob.objects.get().pk) is None


def test_staff_without_the_permission_are_turned_away_and_see_no_menu_item(client: Client) -> None:
    user = User.objects.create_user("writer", "writer@example.org", "pw")
    group = Group.objects.create(name="writers")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
    )
    user.groups.add(group)
    client.force_login(user)
    # Wagtail answers a PermissionDenied in the admin with a redirect to the dashboard.
    assert client.get(reverse("importers"))["Location"] == reverse("wagtailadmin_home")
    data = {"file": SimpleUploadedFile("b.jsonl", JSONL), "status": "keep"}
    assert client.post(reverse("importers"), data)["Location"] == reverse("wagtailadmin_home")
    assert not ImportJob.objects.exists()
    assert reverse("importers") not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_anonymous_visitors_are_sent_to_the_login(client: Client, db: None) -> None:
    response = client.get(reverse("importers"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_superusers_find_it_in_the_settings_menu(admin_client: Client) -> None:
    assert reverse("importers") in admin_client.get(reverse("wagtailadmin_home")).content.decode()


def test_options_round_trip_through_the_row() -> None:
    options = ImportOptions(draft=True, format="wxr")
    assert ImportOptions(**json.loads(json.dumps(options.__dict__))) == options
