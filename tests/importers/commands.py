"""Running ``newsdesk import`` in the test process, and checking how it refuses a file.

``run_import`` does what Django's ``run_from_argv`` does with the command: a ``CommandError``
becomes ``CommandError: message`` on stderr and its exit status (1). Any other exception is not
caught, so a crash (the traceback an operator would see) fails the test. ``run_from_argv``
itself is not used because it closes the database connections, the test's transaction with
them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from django.core.management import CommandError, call_command

from newsdesk.news.models import ArticlePage


@dataclass(frozen=True)
class ImportRun:
    status: int
    stdout: str
    stderr: str


def run_import(*args: str | Path) -> ImportRun:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import", *(str(arg) for arg in args), stdout=out, stderr=err)
    except CommandError as error:
        err.write(f"CommandError: {error}\n")
        return ImportRun(error.returncode, out.getvalue(), err.getvalue())
    return ImportRun(0, out.getvalue(), err.getvalue())


def assert_refused(run: ImportRun, path: Path | str, line: int | None, *fragments: str) -> str:
    """The run failed with ``path:line: ...`` naming each fragment, and imported nothing.

    Returns the message (without the "CommandError: " prefix) for further checks.
    """
    where = f"{path}:{line}: " if line else f"{path}: "
    assert run.status == 1, run
    assert run.stderr.startswith(f"CommandError: {where}"), run.stderr
    assert run.stderr.endswith(" (nothing was imported)\n"), run.stderr
    for fragment in fragments:
        assert fragment in run.stderr, (fragment, run.stderr)
    assert "Traceback" not in run.stderr
    assert not ArticlePage.objects.exists()
    return run.stderr.removeprefix("CommandError: ")
