#!/usr/bin/env python3
"""Set up newsdesk in a virtual environment and run it.

``python3 dev.py demo`` serves the demo site; ``python3 dev.py test`` runs the test suite.

Uses only the standard library, so it works on a fresh machine with Python >= 3.11. The virtual
environment lives in ``.venv`` and is reinstalled only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="set up and serve the demo site at http://127.0.0.1:8000")
    demo.add_argument("args", nargs=argparse.REMAINDER, help="passed to `newsdesk demo`")
    test = sub.add_parser("test", help="set up and run the test suite (SQLite, no browser)")
    test.add_argument("args", nargs=argparse.REMAINDER, help="passed to pytest")
    options = parser.parse_args()

    if options.command == "demo":
        ensure_environment("")
        os.execv(str(BIN / "newsdesk"), [str(BIN / "newsdesk"), "demo", *options.args])
    ensure_environment("test")
    os.chdir(ROOT)
    args = options.args or ["-m", "not e2e"]
    os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *args])


if __name__ == "__main__":
    main()
