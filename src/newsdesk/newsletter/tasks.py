"""Newsletter emails as background tasks, so a signup never waits on the mail server.

With NEWSDESK_TASKS=database (the default) ``newsdesk worker`` runs them; with the immediate
backend (tests, development) they run right after the request's transaction commits.
"""

from __future__ import annotations

from django_tasks import task

from newsdesk.newsletter.subscriptions.signup_emails import owed_email_send


@task()
def send_subscriber_email(*, subscriber_id: int, **_earlier_arguments: object) -> bool:
    """Send the email the subscriber is owed (see ``signup_emails``); returns whether it went.

    Tasks queued by earlier versions carried the kind of email and the day's claim as well;
    both now live on the subscriber's row, so those arguments are accepted and ignored.
    A failure is not raised: ``signup_emails`` records it and the worker retries it.
    """
    return owed_email_send(subscriber_id=subscriber_id)
