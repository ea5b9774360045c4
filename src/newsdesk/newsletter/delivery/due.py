"""One round of digest sending: what ``newsdesk digest send`` and the worker both do.

Freeze the editions that are due, then send every digest still sending (a new one, or one a
stopped sender left unfinished). A fault in one digest is logged and the others still go: one
bad edition must never stop the newsletter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from newsdesk.newsletter.delivery.lock import SenderBusy
from newsdesk.newsletter.delivery.sender import SendReport, digest_send
from newsdesk.newsletter.digests.schedule import digests_freeze_due, digests_sending
from newsdesk.newsletter.models import Digest

logger = logging.getLogger(__name__)


def digests_due_send(
    *,
    connections: int | None = None,
    on_report: Callable[[Digest, SendReport | None], None] | None = None,
) -> bool:
    """Send what is due; returns False if any part of the round failed (logged).

    ``on_report`` hears of each digest tried: its report, or None when another process is
    sending it.
    """
    ok = True
    try:
        digests_freeze_due()
    except Exception:
        logger.exception("freezing the due digests failed; trying again next round")
        ok = False
    for digest in digests_sending():
        try:
            report: SendReport | None = digest_send(digest, connections=connections)
        except SenderBusy:
            report = None
        except Exception:
            logger.exception("sending %s failed; trying again next round", digest)
            ok = False
            continue
        if on_report:
            on_report(digest, report)
    return ok
