"""How the digest sender hands one message to the mail system.

``SmtpTransport`` speaks SMTP itself when EMAIL_URL names an SMTP server, because the sender must
see each message's reply code: 250 marks the delivery sent, 4xx means "try again later" and 5xx
is a permanent failure. Django's SMTP backend hides those codes. Every other backend (the file
outbox, console, anymail's ESP backends) goes through Django, one message at a time.
"""

from __future__ import annotations

import enum
import smtplib
import ssl
from dataclasses import dataclass
from email.utils import parseaddr
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from newsdesk.mail.mime import MessageTemplate

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # 4xx for this reader: their server may take it later
    PERMANENT = "permanent"  # 5xx: this address will not take it
    # The mail system itself failed (no connection, refused login, our sender refused, the ESP
    # down or misconfigured): nothing says this reader is at fault, and the next message
    # would most likely fail the same way.
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class Job:
    delivery_id: int
    email: str
    template: MessageTemplate
    values: dict[str, str]
    attempts: int = 0  # tries the reader's server deferred in earlier runs


class Transport(Protocol):
    def send(self, job: Job) -> Result: ...

    def close(self) -> None: ...


def _reply(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}"[:300]


def _classify(code: int, message: bytes | str) -> Result:
    outcome = Outcome.PERMANENT if 500 <= code < 600 else Outcome.RETRY
    return Result(outcome, _reply(code, message))


class _QuickData(smtplib.SMTP):
    """``smtplib.SMTP.data`` without its dot-stuffing regex when no line starts with a dot.

    ``smtplib`` runs ``re.sub`` over every message to double leading dots, which cost an eighth
    of the sender's CPU on a 25 KB digest; a ``find`` for a dot after a newline is far cheaper
    and almost always says there is nothing to do. Otherwise the standard method runs as is.
    A subclass of ``SMTP`` only to be typed as one: it is mixed in ahead of ``SMTP`` or
    ``SMTP_SSL``, whose ``data`` ``super()`` then reaches.
    """

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        if not isinstance(msg, bytes) or msg.startswith(b".") or b"\n." in msg:
            return super().data(msg)
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(msg + (b".\r\n" if msg.endswith(b"\r\n") else b"\r\n.\r\n"))
        return self.getreply()


class _Smtp(_QuickData, smtplib.SMTP):
    pass


class _SmtpSsl(_QuickData, smtplib.SMTP_SSL):
    pass


class SmtpTransport:
    """One SMTP connection, opened lazily and reopened after the server drops it."""

    def __init__(self) -> None:
        self._smtp: smtplib.SMTP | None = None
        self._envelope_from = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            timeout = settings.EMAIL_TIMEOUT
            if settings.EMAIL_USE_SSL:
                smtp: smtplib.SMTP = _SmtpSsl(
                    settings.EMAIL_HOST,
                    settings.EMAIL_PORT,
                    timeout=timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = _Smtp(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout)
            if settings.EMAIL_USE_TLS:
                smtp.starttls(context=ssl.create_default_context())
            if settings.EMAIL_HOST_USER:
                smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
            self._smtp = smtp
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def send(self, job: Job) -> Result:
        options: list[str] = ["BODY=8BITMIME"]
        if not job.email.isascii():
            options.append("SMTPUTF8")
        try:
            smtp = self._connect()
        except (smtplib.SMTPException, OSError) as error:
            # Refused connections, TLS failures and refused logins alike: the server, not the
            # reader. (A login refusal is a 5xx reply, which must not fail every reader.)
            self._drop()
            return Result(Outcome.UNAVAILABLE, f"connection: {error}"[:300])
        try:
            if not smtp.has_extn("8bitmime"):
                options.remove("BODY=8BITMIME")
            if "SMTPUTF8" in options and not smtp.has_extn("smtputf8"):
                return Result(Outcome.PERMANENT, "address needs SMTPUTF8, server lacks it")
            smtp.sendmail(
                self._envelope_from, [job.email], job.template.render(job.values), options
            )
        except smtplib.SMTPRecipientsRefused as error:
            code, message = next(iter(error.recipients.values()))
            return _classify(code, message)
        except smtplib.SMTPSenderRefused as error:
            # MAIL FROM refused: our own address, so every message would be refused alike.
            self._reset()
            return Result(Outcome.UNAVAILABLE, _reply(error.smtp_code, error.smtp_error))
        except smtplib.SMTPResponseException as error:
            # Sender refused, data refused, 421 "too busy": the session may be unusable now.
            if error.smtp_code == 421:
                self._drop()
            else:
                self._reset()
            return _classify(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            return Result(Outcome.UNAVAILABLE, f"connection: {error}"[:300])
        return Result(Outcome.SENT)

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


class DjangoTransport:
    """Any Django email backend: the outbox, the console, or an ESP through anymail."""

    def __init__(self) -> None:
        self._connection = get_connection()

    def send(self, job: Job) -> Result:
        parts = job.template.personal_parts(job.values)
        message = EmailMultiAlternatives(
            subject=job.template.subject,
            body=parts.text,
            from_email=job.template.from_email,
            to=[job.email],
            reply_to=[job.template.reply_to] if job.template.reply_to else None,
            headers=parts.headers,
        )
        message.attach_alternative(parts.html, "text/html")
        # anymail passes metadata to the ESP, whose bounce webhooks send it back: that is how a
        # bounce finds its delivery. Other backends ignore the attribute.
        message.metadata = {"delivery": str(job.delivery_id)}  # type: ignore[attr-defined]
        try:
            sent = self._connection.send_messages([message])
        except Exception as error:  # backends raise their own types; none should stop the run
            return _classify_backend_error(error)
        return Result(Outcome.SENT) if sent else Result(Outcome.RETRY, "backend sent nothing")

    def close(self) -> None:
        self._connection.close()


# HTTP statuses of an ESP's API that mean "not this message, ever" (a bad or suppressed
# recipient, a message the API will not take); 401/403 mean our credentials, 429 and 5xx a
# service that may take it later.
_PERMANENT_API_STATUSES = frozenset({400, 404, 406, 409, 413, 422})


def _classify_backend_error(error: Exception) -> Result:
    """What an exception from a Django email backend (anymail's above all) says."""
    from anymail.exceptions import (
        AnymailAPIError,
        AnymailConfigurationError,
        AnymailImproperlyInstalled,
        AnymailInvalidAddress,
        AnymailRecipientsRefused,
    )
    from django.core.exceptions import ImproperlyConfigured

    detail = f"{type(error).__name__}: {error}"[:300]
    if isinstance(error, AnymailRecipientsRefused | AnymailInvalidAddress):
        return Result(Outcome.PERMANENT, detail)
    if isinstance(
        error, AnymailConfigurationError | AnymailImproperlyInstalled | ImproperlyConfigured
    ):
        return Result(Outcome.UNAVAILABLE, detail)
    if isinstance(error, AnymailAPIError):
        status = getattr(error, "status_code", None)
        if status in _PERMANENT_API_STATUSES:
            return Result(Outcome.PERMANENT, detail)
        if status is None or status in (401, 403) or status >= 500:
            return Result(Outcome.UNAVAILABLE, detail)  # unreachable, our key refused, or down
        return Result(Outcome.RETRY, detail)
    if isinstance(error, OSError):  # the outbox's disk, a socket
        return Result(Outcome.UNAVAILABLE, detail)
    return Result(Outcome.RETRY, detail)


def transport_make() -> Transport:
    if settings.EMAIL_BACKEND == SMTP_BACKEND:
        return SmtpTransport()
    return DjangoTransport()
