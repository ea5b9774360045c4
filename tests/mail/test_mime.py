"""The once-built, per-reader-substituted digest message."""

from __future__ import annotations

import email
import email.policy

import pytest

from newsdesk.mail.mime import MessageTemplate, marker

VALUES = {
    "to": "ann@example.org",
    "message_id": "digest-1.2@example.org",
    "unsubscribe_url": "https://example.org/newsletter/unsubscribe/" + "t" * 120 + "/",
    "preferences_url": "https://example.org/newsletter/preferences/abc/",
    "unsubscribe_mailto": "mailto:news@example.org?subject=unsubscribe%20abc",
}


def template(
    *, subject: str = "Today: “Quotes” and ünïcode", body: str = "Hello"
) -> MessageTemplate:
    return MessageTemplate(
        subject=subject,
        from_email="Courier Ünïon <news@example.org>",
        reply_to="",
        list_id='"Courier" <daily.example.org>',
        text=f"{body}\n{marker('unsubscribe_url')}\n",
        html=f'<p>{body}</p><p><a href="{marker("unsubscribe_url")}">Unsubscribe</a></p>',
    )


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[return-value]


def test_each_reader_gets_their_own_values_in_headers_and_bodies() -> None:
    message = parse(template().render(VALUES))
    assert message["To"] == "ann@example.org"
    assert message["Message-ID"] == "<digest-1.2@example.org>"
    assert message["Subject"] == "Today: “Quotes” and ünïcode"
    assert VALUES["unsubscribe_url"] in str(message["List-Unsubscribe"])
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert VALUES["unsubscribe_url"] in text and VALUES["unsubscribe_url"] in html
    assert "NDSKPH" not in text + html


def test_no_line_exceeds_the_smtp_limit_even_with_a_huge_intro() -> None:
    long_paragraph = " ".join(["word"] * 3000)
    raw = template(body=long_paragraph).render(VALUES)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    text = parse(raw).get_body(preferencelist=("plain",)).get_content()
    assert text.split().count("word") == 3000  # wrapped, nothing lost


@pytest.mark.parametrize("bad", ["a@b.org\r\nBcc: x@y.org", "a@b.org\nX: 1", "a\rb"])
def test_a_line_break_in_a_personal_value_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        template().render({**VALUES, "to": bad})


def test_a_subject_with_line_breaks_cannot_add_headers() -> None:
    message = parse(template(subject="Hi\r\nBcc: victim@example.org").render(VALUES))
    assert message["Bcc"] is None
