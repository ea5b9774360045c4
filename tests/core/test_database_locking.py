"""The database the suite runs on locks as production's does, so threaded tests mean something.

Django's default SQLite test database is a shared-cache memory database, where a reader locks
whole tables and a writer in another thread fails at once ("database table is locked") with no
busy timeout: ``tests/related/test_threads.py`` failed that way, once in many runs, on a fault
production (a WAL file, a 20 s busy timeout) cannot have. tests/settings.py gives SQLite runs a
file instead; on PostgreSQL this holds anyway.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from newsdesk.news.models import Topic

# serialized_rollback, as every transactional test here: its flush must not leave the next one
# without the content types it expects.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_writer_and_readers_in_other_threads_never_fail() -> None:
    topic = Topic.objects.create(name="Weather", slug="weather")
    errors: list[BaseException] = []
    reads_done = threading.Event()

    def keep_writing() -> None:
        try:
            count = 0
            while not reads_done.is_set():
                count += 1
                Topic.objects.filter(pk=topic.pk).update(description=str(count))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def read() -> None:
        try:
            for _ in range(200):
                list(Topic.objects.values_list("description", flat=True))
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=keep_writing)
    readers = [threading.Thread(target=read) for _ in range(2)]
    writer.start()
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(120)
    reads_done.set()
    writer.join(120)
    assert errors == []
