"""Stored related-stories data: each article's term signature, its ranked list, editors' pins
and exclusions."""

from __future__ import annotations

from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel
from wagtail.models import Orderable


class ArticleSignature(models.Model):
    """An article's strongest terms, kept so any process can rebuild its index from the database.

    ``active`` is false once the article is no longer published; ``updated_at`` lets running
    processes pick up changes made elsewhere.
    """

    # A plain id, not a foreign key: when an article is deleted its signature stays behind as
    # an inactive tombstone, which is how other processes learn to drop it from their index.
    article_id = models.BigIntegerField(primary_key=True)
    terms = models.BinaryField()  # uint32 term ids, little-endian
    weights = models.BinaryField()  # float32 weights, same order
    published_day = models.FloatField()  # days since the epoch, for the recency factor
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"signature of article {self.article_id}"


class RelatedLink(models.Model):
    """One entry of an article's related-stories list, in rank order; pins come first."""

    source = models.ForeignKey(
        "news.ArticlePage", on_delete=models.CASCADE, related_name="related_links"
    )
    target = models.ForeignKey(
        "news.ArticlePage", on_delete=models.CASCADE, related_name="linked_from"
    )
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField()
    pinned = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="related_link_unique"),
        ]
        indexes = [models.Index(fields=["source", "rank"]), models.Index(fields=["target"])]
        ordering = ["source", "rank"]

    def __str__(self) -> str:
        return f"{self.source_id} -> {self.target_id} (#{self.rank})"


class RelatedPin(Orderable):
    """A story an editor wants at the top of this article's Related Stories."""

    page = ParentalKey("news.ArticlePage", on_delete=models.CASCADE, related_name="related_pins")
    story = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("story")]


class RelatedExclusion(Orderable):
    """A story an editor never wants in this article's Related Stories."""

    page = ParentalKey(
        "news.ArticlePage", on_delete=models.CASCADE, related_name="related_exclusions"
    )
    story = models.ForeignKey("news.ArticlePage", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("story")]


class RankingState(models.Model):
    """One row: how large the archive was when every list was last ranked in full.

    Lists ranked one publish at a time use the IDF and latent basis fitted on the archive of
    their day. Once the archive has grown enough since the last full ranking, the worker ranks
    every list again with a model fitted on the whole archive (``services.related_rerank``).
    """

    archive_size = models.PositiveIntegerField(default=0)
    ranked_at = models.DateTimeField(null=True, blank=True)
    # Set when a full ranking is queued, so the publishes before it runs do not queue more.
    queued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lists ranked in full at {self.archive_size} articles"
