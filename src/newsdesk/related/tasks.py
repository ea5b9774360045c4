from django_tasks import task

from newsdesk.related.services import related_refresh, related_refresh_many, related_rerank


@task()
def refresh_related(*, article_id: int, also: list[int] | None = None) -> int:
    """Background task: update the related-stories lists an article's change affects."""
    return related_refresh(article_id=article_id, also=also or [])


@task()
def refresh_related_many(*, article_ids: list[int]) -> int:
    """Background task: the same for a batch of changed articles (imports)."""
    return related_refresh_many(article_ids=article_ids)


@task()
def rerank_related() -> int:
    """Background task: rank every list again with a model fitted on the whole archive, queued
    when the archive has grown by a fifth since that was last done."""
    return related_rerank()
