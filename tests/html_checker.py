"""The Nu Html Checker (vnu.jar, from the ``vnu-jar`` npm package) run over many documents at once.

Starting the JVM costs a couple of seconds, so every document is checked in one invocation.
Nothing is fetched: the jar is installed by ``.ci/run`` (and ``dev.py test`` when npm and Java
are there) into ``.cache/vnu``, or named by ``NEWSDESK_VNU_JAR``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR_ENV = "NEWSDESK_VNU_JAR"
# Where `npm install --prefix .cache/vnu vnu-jar@...` puts the jar (dev.py vnu).
DEFAULT_VNU_JAR = ROOT / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
HOW_TO_ENABLE = (
    "the Nu Html Checker is not installed: run `python3 dev.py test` on a machine with npm and "
    "Java 17 (it installs it into .cache/vnu), or set NEWSDESK_VNU_JAR to a vnu.jar"
)


class CheckerMissing(Exception):
    """The checker cannot run here; the message says why."""


@dataclass(frozen=True)
class CheckerSetup:
    java: str
    jar: Path
    # True when NEWSDESK_VNU_JAR names the jar: then a missing jar or Java is a failure.
    required: bool


def checker_setup() -> CheckerSetup:
    """Java and the jar, or ``CheckerMissing`` saying what is missing."""
    named = os.environ.get(VNU_JAR_ENV, "").strip()
    jar = Path(named) if named else DEFAULT_VNU_JAR
    if not jar.is_file():
        if named:
            raise CheckerMissing(f"{VNU_JAR_ENV}={named} is not a file")
        raise CheckerMissing(HOW_TO_ENABLE)
    java = shutil.which("java")
    if java is None:
        raise CheckerMissing(f"no `java` on PATH to run {jar} (Java 17 or newer is needed)")
    return CheckerSetup(java=java, jar=jar, required=bool(named))


@dataclass(frozen=True)
class Message:
    document: str
    # "error", "warning" or "info" (vnu's "non-document-error" counts as an error).
    level: str
    text: str
    line: int | None
    extract: str

    def __str__(self) -> str:
        where = f"{self.document}:{self.line}" if self.line else self.document
        return f"{where}: {self.level}: {self.text}\n    {self.extract.strip()[:160]!r}"


def _level(raw: dict[str, object]) -> str:
    if raw.get("type") == "info":
        return "warning" if raw.get("subType") == "warning" else "info"
    return "error"


def check_documents(setup: CheckerSetup, documents: dict[str, str]) -> list[Message]:
    """Every message vnu gives on ``documents`` (name -> HTML), in one run of the checker."""
    with tempfile.TemporaryDirectory(prefix="newsdesk-vnu-") as folder:
        paths: dict[str, str] = {}
        for index, (name, html) in enumerate(documents.items()):
            # Names are labels ("article", "digest email"); files get safe names of their own.
            path = Path(folder) / f"{index:03d}.html"
            path.write_text(html, encoding="utf-8")
            paths[path.name] = name
        command = [
            setup.java,
            "-jar",
            str(setup.jar),
            "--format",
            "json",
            "--stdout",
            # Its exit status only says "some message"; the messages are judged here.
            "--exit-zero-always",
            *(str(Path(folder) / file) for file in sorted(paths)),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"vnu failed ({result.returncode}): {result.stderr[-2000:]}")
    messages = []
    for raw in json.loads(result.stdout)["messages"]:
        file = Path(unquote(urlsplit(str(raw.get("url", ""))).path)).name
        messages.append(
            Message(
                document=paths.get(file, file or "?"),
                level=_level(raw),
                text=str(raw.get("message", "")),
                line=int(raw["lastLine"]) if "lastLine" in raw else None,
                extract=str(raw.get("extract", "")),
            )
        )
    return messages
