"""The pictures of one import run: found before its transaction, stored inside it.

Finding (``media.ImageFinder``) reads files and downloads, so it runs before the transaction
begins; storing makes Wagtail images, whose files are written to storage, which no transaction
covers. ``RunImages`` remembers each file it wrote, and ``remove_new_files`` deletes them when
the run's transaction does not commit (a failure, or a dry run): nothing is left behind.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.core.files.storage import default_storage

from newsdesk.importers.base import printable
from newsdesk.importers.figures import body_with_images, image_addresses
from newsdesk.importers.media import FoundImage, ImageFinder, ImageOptions, ImageRefused
from newsdesk.news.services import ArticleInput, AuthorInput, image_get_or_create

# A run names at most this many refused pictures one by one; the rest are only counted.
NAMED_REFUSALS = 20
NO_SOURCE_NOTE = "featured image not imported (give --media DIR or --fetch-images)"
NO_ALT_NOTE = "featured image given the headline as its alt text (the export had none)"


def wanted_images(
    items: Iterable[ArticleInput], authors: Iterable[AuthorInput] = ()
) -> list[tuple[str, str]]:
    """Every (address, title) the items show: their featured images and their bodies', and
    the authors' portraits."""
    wanted: list[tuple[str, str]] = [
        (author.photo_url, author.name) for author in authors if author.photo_url
    ]
    for item in items:
        if item.featured_image_url:
            wanted.append((item.featured_image_url, item.featured_image_alt or item.title))
        wanted.extend((address, item.title) for address in image_addresses(item.body_html))
    return wanted


@dataclass
class RunImages:
    """Turns each item's image addresses into images of the library, counting as it goes."""

    finder: ImageFinder
    tally: Counter[str] = field(default_factory=Counter)  # created / skipped / refused
    refusals: Counter[str] = field(default_factory=Counter)  # reason -> count
    named_refusals: list[str] = field(default_factory=list)  # "address: reason"
    notes: Counter[str] = field(default_factory=Counter)
    new_files: list[str] = field(default_factory=list)
    _ids: dict[str, int | None] = field(default_factory=dict)  # address -> image id
    _seen: set[str] = field(default_factory=set)  # SHA-1s counted in this run

    def image_id(self, address: str) -> int | None:
        """The library's image for the address (stored now if it is new), else None: refused,
        or no source was given for it."""
        if address in self._ids:
            return self._ids[address]
        found = self.finder.find(address)
        image_id: int | None = None
        if isinstance(found, ImageRefused):
            self.tally["refused"] += 1
            self.refusals[str(found)] += 1
            if len(self.named_refusals) < NAMED_REFUSALS:
                self.named_refusals.append(printable(f"{address}: image refused: {found}"))
        elif isinstance(found, FoundImage):
            image_id = self._stored(found)
        self._ids[address] = image_id
        return image_id

    def _stored(self, found: FoundImage) -> int:
        image, created = image_get_or_create(
            path=found.path, name=found.name, title=found.title, sha1=found.sha1
        )
        if created:
            self.new_files.append(image.file.name)
        if found.sha1 not in self._seen:
            self._seen.add(found.sha1)
            self.tally["created" if created else "skipped"] += 1
        return int(image.pk)

    def applied(self, item: ArticleInput) -> ArticleInput:
        """The item with its pictures made images of the library, links, or nothing."""
        addresses = image_addresses(item.body_html)
        if not addresses and not item.featured_image_url:
            return item
        ids = {address: self.image_id(address) for address in addresses}
        body = body_with_images(
            item.body_html,
            {address: image_id for address, image_id in ids.items() if image_id is not None},
            self.notes,
        )
        changes: dict[str, object] = {"body_html": body}
        if item.featured_image_url:
            featured = self.image_id(item.featured_image_url)
            if featured is None:
                if self.finder.find(item.featured_image_url) is None:
                    self.notes[NO_SOURCE_NOTE] += 1
            else:
                changes["featured_image_id"] = featured
                if not item.featured_image_alt:
                    self.notes[NO_ALT_NOTE] += 1
                    changes["featured_image_alt"] = item.title[:250]
        return replace(item, **changes)  # type: ignore[arg-type]


def remove_new_files(paths: list[str]) -> None:
    """Delete the files of images whose rows were rolled back."""
    for name in paths:
        default_storage.delete(name)
    paths.clear()


def finder_for(
    options: ImageOptions,
    workdir: Path,
    items: Iterable[ArticleInput],
    authors: Iterable[AuthorInput] = (),
    on_progress: Callable[[int, int], None] | None = None,
) -> ImageFinder:
    """A finder that has already looked up every picture of the items, when the run was
    given a source for them (else each stays a link, and nothing is looked up)."""
    finder = ImageFinder(options, workdir)
    if options.any:
        finder.find_all(wanted_images(items, authors), on_progress)
    return finder
