"""A digest email built once and personalised per reader by substitution.

Building a message with the ``email`` package costs about 3 ms per message; the digest is the
same for every reader apart from the recipient, the Message-ID and the two personal links. So the
body is built once with markers in place of those values, split into byte chunks, and each
reader's message is the chunks joined with their values: microseconds, not milliseconds.

Bodies are sent 8bit in UTF-8 (what Django itself does); ``text_wrap``/``html_wrap`` keep every
line far below SMTP's 998-octet limit even after a marker is replaced by a long URL.
"""

from __future__ import annotations

import re
import secrets
import textwrap
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formatdate

# The values a message template is personalised with; "date" is filled in at render time.
PERSONAL = ("to", "message_id", "unsubscribe_url", "preferences_url", "unsubscribe_mailto")
_NAMES = (*PERSONAL, "date")
# Markers carry a random part made once per process, so only a marker our own templates put in
# can ever be replaced: an editor's headline that happens to look like one ("NDSK…") is text like
# any other, and no text can make personalisation look up a name it does not have. The value is
# never shown to anyone and never changes after import, so threads share it safely.
MARKER_PREFIX = f"NDSK{secrets.token_hex(8)}"
_MARKER = re.compile(
    rb"%s(%s)%s"
    % (
        MARKER_PREFIX.encode(),
        b"|".join(name.encode() for name in _NAMES),
        MARKER_PREFIX.encode(),
    )
)
# Far below SMTP's 998: a marker may grow by a few hundred characters when it is replaced.
MAX_LINE = 500


def marker(name: str) -> str:
    """Where a personal value goes in a rendered template."""
    if name not in _NAMES:
        raise ValueError(f"not a personal value: {name!r}")
    return f"{MARKER_PREFIX}{name}{MARKER_PREFIX}"


def text_wrap(text: str, width: int = 76) -> str:
    """Wrap long prose lines for plain-text readers; lines holding a URL or marker stay whole."""
    lines: list[str] = []
    for line in text.splitlines():
        if len(line) <= width or "://" in line or MARKER_PREFIX in line:
            lines.append(line)
        else:
            lines.extend(textwrap.wrap(line, width, break_long_words=False) or [""])
    return "\n".join(lines) + "\n"


def html_wrap(html: str) -> str:
    """Break long HTML lines at spaces, which HTML treats like newlines in text and attributes
    such as style or alt; a single unbreakable run longer than MAX_LINE is left as it is."""
    lines: list[str] = []
    for line in html.splitlines():
        while len(line) > MAX_LINE:
            cut = line.rfind(" ", 0, MAX_LINE)
            if cut <= 0:
                break
            lines.append(line[:cut])
            line = line[cut + 1 :]
        lines.append(line)
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class PersonalParts:
    """One reader's message as strings, for Django email backends (file, console, anymail)."""

    text: str
    html: str
    headers: dict[str, str]


class MessageTemplate:
    def __init__(
        self,
        *,
        subject: str,
        from_email: str,
        reply_to: str,
        list_id: str,
        text: str,
        html: str,
    ) -> None:
        # One line whatever it was given: a subject is the one header built from editors' text.
        self.subject = subject = " ".join(subject.split())
        self.from_email = from_email
        self.reply_to = reply_to
        self.list_id = list_id
        self.text = text_wrap(text)
        self.html = html_wrap(html)
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = from_email
        if reply_to:
            message["Reply-To"] = reply_to
        message["List-Id"] = list_id
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(self.text, cte="8bit")
        message.add_alternative(self.html, subtype="html", cte="8bit")
        # The personal headers go first; the email package would reject markers in them, and
        # writing them by hand keeps their folding under our control.
        # The subject by hand as well: the email package's folder can put a long subject's first
        # word on a continuation line, which some clients show as a leading space.
        folded_subject = Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
        personal = (
            f"Subject: {folded_subject}\r\n"
            f"To: {marker('to')}\r\n"
            f"Date: {marker('date')}\r\n"
            f"Message-ID: <{marker('message_id')}>\r\n"
            f"List-Unsubscribe: <{marker('unsubscribe_url')}>,\r\n"
            f" <{marker('unsubscribe_mailto')}>\r\n"
        ).encode("ascii")
        self._chunks: list[bytes | str] = []
        for index, piece in enumerate(_MARKER.split(personal + message.as_bytes())):
            # re.split alternates literal bytes and captured marker names.
            self._chunks.append(piece.decode("ascii") if index % 2 else piece)

    def render(self, values: dict[str, str]) -> bytes:
        """The whole message for one reader, ready for SMTP DATA (CRLF line endings)."""
        values = {**values, "date": formatdate(localtime=True)}
        for value in values.values():
            # Values come from our own code (validated addresses, signed tokens); a line break
            # here would let one reader's values add headers, so refuse it outright.
            if "\r" in value or "\n" in value:
                raise ValueError("a personal value contains a line break")
        encoded = {name: value.encode("utf-8") for name, value in values.items()}
        return b"".join(
            chunk if isinstance(chunk, bytes) else encoded[chunk] for chunk in self._chunks
        )

    def personal_parts(self, values: dict[str, str]) -> PersonalParts:
        def fill(template: str) -> str:
            for name, value in values.items():
                template = template.replace(marker(name), value)
            return template

        headers = {
            "Message-ID": f"<{values['message_id']}>",
            "List-Id": self.list_id,
            "List-Unsubscribe": (
                f"<{values['unsubscribe_url']}>, <{values['unsubscribe_mailto']}>"
            ),
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        return PersonalParts(text=fill(self.text), html=fill(self.html), headers=headers)
