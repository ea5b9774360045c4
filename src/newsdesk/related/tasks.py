from django_tasks import task

from newsdesk.related.services import related_refresh


@task()
def refresh_related(*, article_id: int, also: list[int] | None = None) -> int:
    """Background task: update the related-stories lists an article's change affects."""
    return related_refresh(article_id=article_id, also=also or [])
