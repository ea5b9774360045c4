from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "newsdesk.ops"
    label = "newsdesk_ops"
    verbose_name = "newsdesk processes"
