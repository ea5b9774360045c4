#!/usr/bin/env python3
"""Set up newsdesk in a virtual environment and run it.

``python3 dev.py demo`` serves the demo site; ``python3 dev.py test`` runs the test suite;
``python3 dev.py vnu`` installs the Nu Html Checker that tests/test_valid_html.py runs.

Uses only the standard library, so it works on a fresh machine with Python >= 3.11. The virtual
environment lives in ``.venv`` and is reinstalled only when ``pyproject.toml`` changes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".newsdesk-installed"
# The Nu Html Checker, from npm's vnu-jar package (the jar ships inside it); pinned, so that a new
# checker release cannot fail a build that changed nothing.
VNU_VERSION = "26.9.27"
VNU_PREFIX = ROOT / ".cache" / "vnu"
VNU_JAR = VNU_PREFIX / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


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


def install_vnu() -> Path:
    """Install the pinned checker into .cache/vnu (once); return the jar's path.

    ``--ignore-scripts``: the package's install script would download a Java runtime, which
    the machine's own Java 17 makes unneeded (and tests must not depend on downloads).
    """
    stamp = VNU_PREFIX / ".version"
    if VNU_JAR.is_file() and stamp.is_file() and stamp.read_text() == VNU_VERSION:
        return VNU_JAR
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("dev.py vnu: npm is needed to install the Nu Html Checker")
    print(f"Installing the Nu Html Checker {VNU_VERSION} into {VNU_PREFIX} ...", flush=True)
    VNU_PREFIX.mkdir(parents=True, exist_ok=True)
    options = ["--no-save", "--ignore-scripts", "--no-audit", "--no-fund"]
    target = ["--prefix", str(VNU_PREFIX), f"vnu-jar@{VNU_VERSION}"]
    subprocess.run([npm, "install", *options, *target], check=True)
    if not VNU_JAR.is_file():
        sys.exit(f"dev.py vnu: the vnu-jar package has no {VNU_JAR}")
    stamp.write_text(VNU_VERSION)
    return VNU_JAR


USAGE = """usage: python3 dev.py demo [newsdesk demo options]
       python3 dev.py test [pytest options]
       python3 dev.py vnu

  demo  set up and serve the demo site at http://127.0.0.1:8000
  test  set up and run the test suite (SQLite; browser tests are separate: -m e2e); with npm
        and Java on the machine it installs the Nu Html Checker first, else the HTML
        validity test is skipped
  vnu   install the Nu Html Checker into .cache/vnu and print the jar's path"""


def main() -> None:
    # Everything after the command goes to `newsdesk demo` or pytest unchanged.
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command == "demo":
        ensure_environment("")
        os.execv(str(BIN / "newsdesk"), [str(BIN / "newsdesk"), "demo", *args])
    if command == "vnu":
        print(install_vnu())
        return
    if command == "test":
        ensure_environment("test")
        # Only where it can run: the plain test command must work on a machine without Java
        # (tests/test_valid_html.py is then skipped, saying how to enable it).
        if shutil.which("npm") and shutil.which("java"):
            try:
                install_vnu()
            except (subprocess.CalledProcessError, SystemExit) as failed:
                print(f"dev.py: the Nu Html Checker was not installed ({failed})", flush=True)
        os.chdir(ROOT)
        os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *args])
    print(USAGE)
    sys.exit(0 if command in {"-h", "--help"} else 2)


if __name__ == "__main__":
    main()
