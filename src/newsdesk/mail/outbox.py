"""A mail outbox in a directory: every message one ``.eml`` file, readable in the admin.

With no EMAIL_URL configured, everything the site sends lands here, so a demo or a new
install shows the whole subscription flow without a mail server. Django's own file backend
appends all messages of a connection to one log file, which is hard to read back one by one.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from io import BytesIO
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage as DjangoEmailMessage
from django.core.mail.backends.base import BaseEmailBackend

OUTBOX_BACKEND = "newsdesk.mail.outbox.OutboxBackend"
# The admin lists the newest messages only: a long-running outbox can hold many thousands.
LIST_LIMIT = 200
_NAME_CHARS = set("0123456789abcdef-.eml")


def outbox_directory() -> Path:
    return Path(settings.EMAIL_FILE_PATH)


def _as_bytes(message: Message) -> bytes:
    """The message with CRLF line ends, as Django's own ``as_bytes`` (no ``>From`` mangling).

    Flattened here rather than by ``as_bytes(linesep=...)``: Django 5.2's messages take
    ``linesep``, the standard library's (which Django 6's are) take a ``policy`` instead.
    """
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False).flatten(message, linesep="\r\n")
    return buffer.getvalue()


class OutboxBackend(BaseEmailBackend):
    def __init__(self, file_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages: Sequence[DjangoEmailMessage]) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
            temporary = self.directory / f".{name}.tmp"
            temporary.write_bytes(_as_bytes(message.message()))
            # Renamed into place whole, so a reader never sees half a message.
            os.replace(temporary, self.directory / name)
        return len(email_messages)


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def date(self) -> str:
        return str(self.message["Date"] or "")

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""


def _read(path: Path) -> OutboxEntry:
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    return OutboxEntry(name=path.name, message=parsed)  # type: ignore[arg-type]


def outbox_entries(limit: int = LIST_LIMIT) -> list[OutboxEntry]:
    """The newest messages first (file names start with the time they were written)."""
    directory = outbox_directory()
    if not directory.is_dir():
        return []
    names = sorted((path for path in directory.glob("*.eml")), reverse=True)[:limit]
    return [_read(path) for path in names]


def outbox_entry(name: str) -> OutboxEntry | None:
    """One message by file name; anything but a plain name from this directory is refused."""
    if not name.endswith(".eml") or not set(name) <= _NAME_CHARS or name.startswith("."):
        return None
    path = outbox_directory() / name
    return _read(path) if path.is_file() else None
