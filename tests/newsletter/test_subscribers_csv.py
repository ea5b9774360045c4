"""Subscriber CSV export and import in the Wagtail admin, and the parser behind the import."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from newsdesk.news.models import Topic
from newsdesk.newsletter.models import Consent, Subscriber
from newsdesk.newsletter.subscriptions.subscribers_csv import (
    EXPORT_COLUMNS,
    ImportFileError,
    neutralise,
    parse_import,
)
from tests.newsletter.conftest import Mailbox, wait_for

pytestmark = pytest.mark.django_db
LIST = "/admin/snippets/newsletter/subscriber/"
IMPORT = "/admin/newsletter/subscribers/import/"
LIMITS = {"max_bytes": 100_000, "max_rows": 100}


def make(address: str, status: str = "confirmed", **fields: Any) -> Subscriber:
    return Subscriber.objects.create(
        email=address, email_key=address.casefold(), status=status, **fields
    )


def staff(username: str, *codenames: str) -> User:
    """A Wagtail user with admin access and the given newsletter subscriber permissions."""
    user = User.objects.create_user(username, f"{username}@example.org", "pw")
    group = Group.objects.create(name=f"{username}-group")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="newsletter", codename__in=codenames),
    )
    user.groups.add(group)
    return user


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("boss", "boss@example.org", "pw"))
    return client


def read_export(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body, newline="")))


def upload(client: Client, data: bytes, *, skip_invalid: bool = False, **extra: Any) -> Any:
    form = {
        "file": SimpleUploadedFile("list.csv", data, content_type="text/csv"),
        "source": "Sign-up sheet at the harbour festival",
    }
    if skip_invalid:
        form["skip_invalid"] = "on"
    return client.post(IMPORT, form, **extra)


# --- Neutralising formulas ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+31 20 555", "'+31 20 555"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("ann@example.org", "ann@example.org"),
        ("a=b", "a=b"),
        ("", ""),
        # A formula after a place where a spreadsheet splitting on ; , or tab starts a cell.
        ("zz;=1+3", "zz;'=1+3"),
        ("Arts; =cmd|' /C calc'!A0", "Arts; '=cmd|' /C calc'!A0"),
        ("a,@SUM(A1)", "a,'@SUM(A1)"),
        ('x; "=2', "x; \"'=2"),
        ("a\t-3", "a\t'-3"),
        ("a\t\t=4", "a\t'\t'=4"),
        ("line\n+5", "line\n'+5"),
        ("a;b, c", "a;b, c"),
    ],
)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


HOSTILE_TOPICS = ("zz;=1+3", "a,@SUM(A1)", 'x; "=2', "tab\t-3", "line\n+4", "cr\r=5")
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _export_with_hostile_topics(admin_client: Client, address: str) -> str:
    ann = make(address)
    bob = make("bob@example.org", status="unsubscribed")
    for n, name in enumerate(HOSTILE_TOPICS):
        topic = Topic.objects.create(name=name, slug=f"hostile-{n}")
        (ann if n % 2 else bob).topics.add(topic)
    response = admin_client.get(LIST, {"export": "csv"})
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_separator_a_spreadsheet_splits_on_starts_a_formula(
    admin_client: Client, delimiter: str
) -> None:
    body = _export_with_hostile_topics(admin_client, '=HYPERLINK("http://x.example","x")@x.org')
    # A reader that honours quotes, set to the wrong separator (Excel in a ; locale) ...
    fields = [
        field
        for row in csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
        for field in row
    ]
    assert fields and not [field for field in fields if field.startswith(FORMULA)]
    # ... and one that does not: every line split on the separator, quotes and spaces skipped.
    naive = [
        field.lstrip('" ')
        for line in re.split(r"\r\n|\r|\n", body)
        for field in line.split(delimiter)
    ]
    assert not [field for field in naive if field.startswith(FORMULA)]
    # Every cell is quoted, so a ";" inside one is no separator to a ";" reader at a row's start.
    assert body.startswith('"email","status","frequency",')
    # The topics are all there, each with its quote, for the reader that splits right.
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert {name for row in rows[1:] for name in row[4].split("; ")} >= {
        "zz;'=1+3",
        "a,'@SUM(A1)",
    }


def test_export_neutralises_hostile_cells(admin_client: Client) -> None:
    hostile = make('=HYPERLINK("http://evil.example","x")@example.org')
    hostile.topics.add(Topic.objects.create(name="=cmd|' /C calc'!A0", slug="cmd"))
    make("-2+3@example.org", status="pending")
    make("@sum@example.org", status="unsubscribed")
    rows = read_export(admin_client.get(LIST, {"export": "csv"}))
    assert rows[0] == list(EXPORT_COLUMNS)
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_email = {row[0]: row for row in rows[1:]}
    assert set(by_email) == {
        '\'=HYPERLINK("http://evil.example","x")@example.org',
        "'-2+3@example.org",
        "'@sum@example.org",
    }
    assert by_email['\'=HYPERLINK("http://evil.example","x")@example.org'][4] == (
        "'=cmd|' /C calc'!A0"
    )


def test_export_has_every_column_and_follows_the_listing_filters(admin_client: Client) -> None:
    ann = make("ann@example.org", frequency="weekly", paused=True)
    ann.topics.add(Topic.objects.create(name="Harbour", slug="harbour"))
    make("bob@example.org", status="pending")
    make("anna@example.org", status="bounced")
    rows = read_export(admin_client.get(LIST, {"export": "csv", "status": "confirmed"}))
    assert [row[0] for row in rows[1:]] == ["ann@example.org"]
    _, status, frequency, paused, topics, created, confirmed, unsubscribed = rows[1]
    assert (status, frequency, paused, topics) == ("confirmed", "weekly", "yes", "Harbour")
    assert created.endswith("+00:00") and confirmed == "" and unsubscribed == ""
    searched = read_export(admin_client.get(LIST, {"export": "csv", "q": "ann"}))
    assert sorted(row[0] for row in searched[1:]) == ["ann@example.org", "anna@example.org"]


def test_export_queries_do_not_grow_with_the_list(
    admin_client: Client, django_assert_max_num_queries: Any
) -> None:
    topic = Topic.objects.create(name="Harbour", slug="harbour")
    for n in range(3):
        make(f"reader{n}@example.org").topics.add(topic)
    with django_assert_max_num_queries(12) as few:
        read_export(admin_client.get(LIST, {"export": "csv"}))
    for n in range(3, 60):
        make(f"reader{n}@example.org").topics.add(topic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = read_export(admin_client.get(LIST, {"export": "csv"}))
    assert len(rows) == 61


def test_the_listing_offers_export_with_its_filters_and_import(admin_client: Client) -> None:
    page = admin_client.get(LIST, {"status": "pending"}).content.decode()
    assert "status=pending&amp;export=csv" in page
    assert IMPORT in page


# --- Permissions ----------------------------------------------------------------------------------


def test_anonymous_visitors_can_neither_export_nor_import(client: Client) -> None:
    make("ann@example.org")
    export = client.get(LIST, {"export": "csv"})
    assert export.status_code == 302 and not export.streaming
    assert upload(client, b"email\nnew@example.org\n").status_code == 302
    assert Subscriber.objects.count() == 1


def test_staff_without_subscriber_permissions_get_nothing(client: Client) -> None:
    make("ann@example.org")
    client.force_login(staff("intern"))
    export = client.get(LIST, {"export": "csv"})
    assert export.status_code in (302, 403) and not export.streaming
    assert b"ann@example.org" not in export.content
    # Wagtail answers a refused admin view with a redirect to the dashboard and a message.
    assert client.get(IMPORT).status_code in (302, 403)
    assert upload(client, b"email\nnew@example.org\n").status_code in (302, 403)
    assert Subscriber.objects.count() == 1


def test_viewing_allows_export_but_not_import(client: Client, mailbox: Mailbox) -> None:
    make("ann@example.org")
    client.force_login(staff("viewer", "view_subscriber"))
    rows = read_export(client.get(LIST, {"export": "csv"}))
    assert rows[1][0] == "ann@example.org"
    assert IMPORT not in client.get(LIST).content.decode()
    assert upload(client, b"email\nnew@example.org\n").status_code in (302, 403)
    assert not Subscriber.objects.filter(email_key="new@example.org").exists()
    assert not mailbox.received


def test_the_add_permission_allows_import(client: Client, mailbox: Mailbox) -> None:
    client.force_login(staff("listkeeper", "view_subscriber", "add_subscriber"))
    assert client.get(IMPORT).status_code == 200
    response = upload(client, b"email\nnew@example.org\n")
    assert response.status_code == 302
    assert Subscriber.objects.get().status == Subscriber.Status.PENDING


# --- Import through the admin, with real SMTP -----------------------------------------------------


def test_import_sends_confirmations_and_leaves_existing_readers_alone(
    admin_client: Client, mailbox: Mailbox
) -> None:
    make("ann@example.org")  # confirmed
    make("gone@example.org", status="unsubscribed")
    make("dead@example.org", status="bounced")
    data = (
        b"email,frequency,name\r\n"
        b"new.one@example.org,weekly,One\r\n"
        b"New.Two@Example.org,,Two\r\n"
        b"ANN@example.org,weekly,Ann\r\n"
        b"gone@example.org,daily,Gone\r\n"
        b"dead@example.org,,Dead\r\n"
        b"new.one@example.org,daily,Again\r\n"
    )
    response = upload(admin_client, data)
    assert response.status_code == 302
    received = wait_for(mailbox, 2)
    assert sorted(r.rcpt_tos[0] for r in received) == ["New.Two@example.org", "new.one@example.org"]
    assert all(r.message["Subject"].startswith("Confirm your subscription") for r in received)
    assert any("/newsletter/confirm/" in link for link in received[0].links())

    one = Subscriber.objects.get(email_key="new.one@example.org")
    assert (one.status, one.frequency) == (Subscriber.Status.PENDING, "weekly")
    consent = one.consents.get()
    assert consent.method == Consent.Method.IMPORT
    assert "harbour festival" in consent.text and "boss" in consent.text
    assert consent.ip is None

    statuses = dict(Subscriber.objects.values_list("email_key", "status"))
    assert statuses["ann@example.org"] == "confirmed"
    assert statuses["gone@example.org"] == "unsubscribed"
    assert statuses["dead@example.org"] == "bounced"
    assert not Consent.objects.filter(subscriber__email_key="ann@example.org").exists()
    assert Subscriber.objects.get(email_key="ann@example.org").frequency == "daily"

    page = admin_client.get(response["Location"]).content.decode()
    assert "2 new" in page and "4 already on the list" in page and "0 invalid" in page


def test_a_file_with_bad_rows_is_refused_whole_with_line_numbers(
    admin_client: Client, mailbox: Mailbox
) -> None:
    data = (
        b"email,frequency\n"
        b"good@example.org,daily\n"
        b"not-an-address,daily\n"
        b"fine@example.org,hourly\n"
        b'"evil@example.org\r\nBcc: victim@example.org",daily\n'
        b"<script>alert(1)</script>@example.org,daily\n"
    )
    response = upload(admin_client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: 4 rows are not valid" in page
    for line in ("Line 3:", "Line 4:", "Line 5:", "Line 7:"):
        assert line in page
    assert "frequency must be daily or weekly" in page
    assert "line breaks" in page
    assert "<script>alert(1)</script>" not in page
    assert not Subscriber.objects.exists()
    assert not mailbox.received


def test_skipping_invalid_rows_imports_the_rest(admin_client: Client, mailbox: Mailbox) -> None:
    data = b"email\ngood@example.org\nnot-an-address\n"
    response = upload(admin_client, data, skip_invalid=True)
    assert response.status_code == 302
    assert list(Subscriber.objects.values_list("email", flat=True)) == ["good@example.org"]
    assert len(wait_for(mailbox, 1)) == 1
    page = admin_client.get(response["Location"]).content.decode()
    assert "1 new" in page and "1 invalid" in page and "Line 3:" in page


def test_an_exported_file_imports_back_without_changes(
    admin_client: Client, mailbox: Mailbox
) -> None:
    make("=sum@example.org", frequency="weekly")
    make("bob@example.org", status="unsubscribed")
    body = b"".join(admin_client.get(LIST, {"export": "csv"}).streaming_content)
    response = upload(admin_client, body)
    assert response.status_code == 302
    page = admin_client.get(response["Location"]).content.decode()
    assert "0 new" in page and "2 already on the list" in page
    assert not mailbox.received


def test_an_export_with_hostile_cells_parses_back_to_the_same_addresses(
    admin_client: Client,
) -> None:
    body = _export_with_hostile_topics(admin_client, "=sum+1@example.org")
    parsed = parse_import(body.encode(), **LIMITS)
    assert not parsed.errors
    assert sorted(row.email for row in parsed.rows) == sorted(
        Subscriber.objects.values_list("email", flat=True)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n\r\n", "The file is empty"),
        (b"email\nann@example.org\n\xff\xfeoops@example.org\n", "Line 3: the file is not UTF-8"),
        (b"email\nann@exa\x00mple.org\n", "Line 2: the file contains NUL bytes"),
        (b"name|email\nAnn|ann@example.org\n", "no “email” column"),
        (b"address\nann@example.org\n", "no “email” column"),
        (b"email,Email\nann@example.org,x\n", "appears more than once"),
        (b'email\n"ann@example.org\nbob@example.org\n', "not valid CSV"),
        (b"email\n" + b"x" * 200_000 + b"@example.org\n", "not valid CSV"),
        (b"email\n" + b"a@example.org\n" * 3000, "more than 2,000 rows"),
        (b"email\n" + b"a" * 3_000_000, "larger than 2,000 kB"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_error(
    admin_client: Client, data: bytes, message: str
) -> None:
    response = upload(admin_client, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Subscriber.objects.exists()


# --- The parser -----------------------------------------------------------------------------------


def test_a_byte_order_mark_and_semicolons_are_understood() -> None:
    data = "\ufeffEmail;Frequency\r\nann@example.org;Weekly\r\n\r\nbob@example.org;\r\n".encode()
    parsed = parse_import(data, **LIMITS)
    assert [(row.line, row.email, row.frequency) for row in parsed.rows] == [
        (2, "ann@example.org", "weekly"),
        (4, "bob@example.org", None),
    ]
    assert not parsed.errors


def test_tabs_as_delimiter_and_extra_or_missing_cells() -> None:
    parsed = parse_import(b"name\temail\nAnn\tann@example.org\textra\nBob\n", **LIMITS)
    assert [row.email for row in parsed.rows] == ["ann@example.org"]
    assert [(error.line, error.message) for error in parsed.errors] == [
        (3, "Enter your email address.")
    ]


def test_line_numbers_count_quoted_line_breaks() -> None:
    data = b'note,email\n"two\nlines",ann@example.org\nx,bad\n'
    parsed = parse_import(data, **LIMITS)
    assert parsed.rows[0].line == 2  # where the record starts
    assert parsed.errors[0].line == 4


def test_very_long_addresses_and_duplicates() -> None:
    long_address = "a" * 300 + "@example.org"
    data = f"email\n{long_address}\nann@example.org\nANN@example.org\n".encode()
    parsed = parse_import(data, **LIMITS)
    assert "at most 254 characters" in parsed.errors[0].message
    assert [row.key for row in parsed.rows] == ["ann@example.org"]
    assert parsed.duplicates == 1


def test_form_feeds_and_unicode_separators_stay_inside_a_cell() -> None:
    parsed = parse_import("email\nann\u2028@example.org\nbob\x0c@example.org\n".encode(), **LIMITS)
    assert [error.line for error in parsed.errors] == [2, 3]


def test_limits() -> None:
    with pytest.raises(ImportFileError, match="larger than"):
        parse_import(b"email\n" + b"a" * 200, max_bytes=100, max_rows=10)
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        parse_import(b"email\na@x.org\nb@x.org\nc@x.org\n", max_bytes=1000, max_rows=2)
