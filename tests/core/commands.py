"""Running the installed `newsdesk` command as a subprocess, as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NEWSDESK = Path(sys.executable).with_name("newsdesk")


def newsdesk_run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with a clean environment and its own data directory."""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "NEWSDESK_DATA_DIR": str(tmp_path / "data"),
        **env,
    }
    if "PYTHONPATH" in os.environ:
        # A checkout tested against a shared environment imports its own code, not the install.
        environment["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [str(NEWSDESK), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
