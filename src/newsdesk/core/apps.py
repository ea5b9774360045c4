from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "newsdesk.core"
    label = "newsdesk_core"
    verbose_name = "newsdesk core"
