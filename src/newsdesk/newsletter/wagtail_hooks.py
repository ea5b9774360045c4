"""Subscribers in the Wagtail admin: a searchable list filtered by status, CSV export and
import (subscriber_admin), and the bounces reported for each on its inspect page.

Adding subscribers here is switched off: every subscriber must come through
``subscriber_signup`` (validation, consent record, confirmation email). Editors can change a
subscriber's frequency, topics and pause, and unsubscribe them from the inspect page; the status
otherwise changes only through the services, and the address is not editable, so its key cannot
drift from it. Wagtail's templates escape every value shown.
"""

from __future__ import annotations

from typing import Any

from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.admin_views import SubscriberIndexView, SubscriberInspectView


class NoAddPermissionPolicy(ModelPermissionPolicy):
    def user_has_permission(self, user: Any, action: str) -> bool:
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user: Any, actions: Any) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


class SubscriberViewSet(SnippetViewSet):
    model = Subscriber
    icon = "mail"
    menu_label = "Subscribers"
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["email", "status", "frequency", "paused", "created_at"]
    list_filter = ["status", "frequency", "paused"]
    search_fields = ["email"]
    search_backend_name = None  # a plain ORM search: subscribers are not in the search index
    inspect_view_enabled = True
    copy_view_enabled = False
    index_view_class = SubscriberIndexView  # adds the CSV export and import buttons
    inspect_view_class = SubscriberInspectView  # adds the bounce events


# Registered before the viewset, which would otherwise create the default policy first.
register_permission_policy(Subscriber, NoAddPermissionPolicy(Subscriber))
register_snippet(SubscriberViewSet)

# Digests and the outbox have their own admin modules; importing them registers their hooks.
from newsdesk.mail import outbox_admin  # noqa: E402, F401
from newsdesk.newsletter.digests.admin_views import DigestViewSet  # noqa: E402

register_snippet(DigestViewSet)
