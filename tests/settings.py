"""Settings for the test suite: newsdesk's own settings, with a throwaway data directory."""

import os
import tempfile

os.environ.setdefault("NEWSDESK_DATA_DIR", tempfile.mkdtemp(prefix="newsdesk-test-"))
os.environ.setdefault("SITE_URL", "http://testserver")

from newsdesk.settings import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Hashing passwords slowly protects real accounts; in tests it only costs time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A process re-reads the publication version every few seconds; in tests that would add a query
# at random moments. Tests that need the re-read move the clock themselves.
NEWSDESK_VERSION_CHECK_SECONDS = 3600
# Rate limits count in the database unless a test asks for Redis (the ``limiter`` and
# ``redis_url`` fixtures in tests/newsletter/conftest.py), whatever the environment says.
REDIS_URL = ""
# Likewise the cache: each test process's own memory (tests/core/test_caches.py uses Redis).
CACHES = cache_setting(redis_url="", max_entries=NEWSDESK_CACHE_ENTRIES)  # noqa: F405
# Tasks run where they are queued, so a test sees their effect at once; tests of the worker
# switch to the database backend themselves (tests/newsletter/test_worker_tasks.py).
NEWSDESK_TASKS = "immediate"
TASKS = {"default": {"BACKEND": TASK_BACKENDS["immediate"]}}  # noqa: F405

# A file, not the shared-cache memory database Django gives SQLite tests by default: there a
# reader locks whole tables, and a writer in another thread fails at once with "database table
# is locked" (no busy timeout applies), which production's WAL file never does. The threaded
# tests (tests/related/test_threads.py) must meet the database as production has it. In
# /dev/shm when there is one, so that the suite's many flushes cost no disk writes.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    _memory = "/dev/shm"  # noqa: S108 (a private folder is made in it)
    _test_dir = tempfile.mkdtemp(
        prefix="newsdesk-test-db-", dir=_memory if os.path.isdir(_memory) else None
    )
    DATABASES["default"]["TEST"] = {"NAME": os.path.join(_test_dir, "test.sqlite3")}  # noqa: F405
