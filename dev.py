#!/usr/bin/env python3
"""Set up newsdesk in a virtual environment and run it.

``python3 dev.py demo`` serves the demo site; ``python3 dev.py test`` runs the test suite.

Uses only the standard library, so it works on a fresh machine with Python >= 3.11. The virtual
environment lives in ``.venv`` and is reinstalled only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".newsdesk-installed"


def ensure_environment(extras: str) -> None:
    if sys.version_info < (3, 11):
        sys.exit("newsdesk needs Python 3.11 or newer")
    wanted = f"{extras}:{hashlib.sha256((ROOT / 'pyproject.toml').read_bytes()).hexdigest()}"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing newsdesk and its dependencies ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    target = f".[{extras}]" if extras else "."
    subprocess.run([*pip, "install", "-e", target], check=True, cwd=ROOT)
    STAMP.write_text(wanted)


USAGE = """usage: python3 dev.py demo [newsdesk demo options]
       python3 dev.py test [pytest options]

  demo  set up and serve the demo site at http://127.0.0.1:8000
  test  set up and run the test suite (SQLite; browser tests are separate: -m e2e)"""


def main() -> None:
    # Everything after the command goes to `newsdesk demo` or pytest unchanged.
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "demo":
        ensure_environment("")
        os.execv(str(BIN / "newsdesk"), [str(BIN / "newsdesk"), "demo", *args])
    if command == "test":
        ensure_environment("test")
        os.chdir(ROOT)
        os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *args])
    print(USAGE)
    sys.exit(0 if command in {"-h", "--help"} else 2)


if __name__ == "__main__":
    main()
