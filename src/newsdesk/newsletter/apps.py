from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsdesk.newsletter"
    label = "newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        # anymail's tracking and inbound signals reach the feedback room's receivers in every
        # process (the worker and the shell too), not only where the URLconf was imported.
        from newsdesk.newsletter.feedback import bounces, inbound  # noqa: F401
