from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "newsdesk.news"
    label = "news"
    verbose_name = "News"

    def ready(self) -> None:
        from newsdesk.news import indexing, invalidation

        invalidation.connect()
        indexing.connect()
