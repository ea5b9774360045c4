from django_tasks import task

from newsdesk.related.services import related_refresh, related_refresh_many


@task()
def refresh_related(*, article_id: int, also: list[int] | None = None) -> int:
    """Background task: update the related-stories lists an article's change affects."""
    return related_refresh(article_id=article_id, also=also or [])


@task()
def refresh_related_many(*, article_ids: list[int]) -> int:
    """Background task: the same for a batch of changed articles (imports)."""
    return related_refresh_many(article_ids=article_ids)
