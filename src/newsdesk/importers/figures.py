"""The pictures of an imported body made into images of the library, or into links.

Parsers keep ``<img>``, ``<figure>`` and ``<figcaption>`` through the sanitiser
(``sanitize_html(keep_images=True)``). Once a run knows which addresses became images of
Wagtail's library (``newsdesk.importers.media``), each picture of a body becomes:

- an image of the library: rich text's ``<embed embedtype="image" …/>``, with its caption as
  the paragraph after it, in italics. Wagtail's editor holds an image as a block of its own,
  never inside a paragraph or a list, so a picture is moved to just after the block it was
  in. An editor keeps both parts when editing, and ``news.rendering`` shows the pair as a
  figure with its caption.
- else a link to its address with the alt text, when the address is absolute (http or
  https): nothing is lost, and an editor can still fetch the picture;
- else nothing: a relative address led only somewhere on the old site. Each is counted.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.dammit import EntitySubstitution
from bs4.formatter import HTMLFormatter

# The rich text image format every imported picture takes (Wagtail's default formats are
# "fullwidth", "left" and "right").
IMAGE_FORMAT = "fullwidth"
LINK_TEXT = "Image"
# Void elements written as the sanitiser writes them (``<br>``, not ``<br/>``), so that a body
# with pictures reads like one without.
_FORMATTER = HTMLFormatter(
    entity_substitution=EntitySubstitution.substitute_xml, void_element_close_prefix=""
)


def _soup(markup: str) -> BeautifulSoup:
    return BeautifulSoup(markup, "html.parser")


def image_addresses(markup: str) -> list[str]:
    """Every picture's address in the body, in order (repeats included)."""
    if "<img" not in markup:
        return []
    return [str(img.get("src") or "") for img in _soup(markup).find_all("img")]


def _alt(img: Tag) -> str:
    return " ".join(str(img.get("alt") or "").split())


def _picture_block(img: Tag, images: Mapping[str, int], notes: Counter[str]) -> str:
    address = str(img.get("src") or "")
    alt = _alt(img)
    image_id = images.get(address)
    if image_id is not None:
        return (
            f'<embed alt="{html.escape(alt)}" embedtype="image" format="{IMAGE_FORMAT}" '
            f'id="{image_id}"/>'
        )
    if urlsplit(address).scheme in {"http", "https"}:
        notes["image kept as a link to its old address"] += 1
        return f'<p><a href="{html.escape(address)}">{html.escape(alt or LINK_TEXT)}</a></p>'
    notes["image left out: its address was relative to the old site (give --media DIR)"] += 1
    return ""


def _caption_block(caption: Tag | None) -> str:
    if caption is None or not caption.get_text(strip=True):
        return ""
    return f"<p><i>{caption.decode_contents(formatter=_FORMATTER).strip()}</i></p>"


def _without_picture(img: Tag) -> None:
    """Remove the picture, and a link around it that held nothing else (a link to the
    full-size file, as WordPress and Substack write them)."""
    parent = img.parent
    img.decompose()
    if isinstance(parent, Tag) and parent.name == "a" and not parent.get_text(strip=True):
        if not parent.find("img"):
            parent.decompose()


def _block_as_text(block: Tag) -> str:
    """What is left of a block once its pictures have gone; an emptied paragraph goes too."""
    if block.name in {"p", "figure", "figcaption"} and not block.get_text(strip=True):
        return ""
    if block.name in {"figure", "figcaption"}:
        # Neither is a block of a body: what remains of one is a paragraph.
        return f"<p>{block.decode_contents(formatter=_FORMATTER).strip()}</p>"
    return block.decode(formatter=_FORMATTER)


def body_with_images(markup: str, images: Mapping[str, int], notes: Counter[str]) -> str:
    """The body with each picture made an image of the library (``images``: address ->
    image id), a link, or nothing, as the module says."""
    if "<img" not in markup and "<fig" not in markup:
        return markup
    soup = _soup(markup)
    out: list[str] = []
    for node in list(soup.contents):
        if isinstance(node, NavigableString):
            out.append(html.escape(str(node), quote=False))
            continue
        if not isinstance(node, Tag):
            continue
        pictures = [node] if node.name == "img" else node.find_all("img")
        if not pictures:
            out.append(
                _block_as_text(node)
                if node.name in {"figure", "figcaption"}
                else node.decode(formatter=_FORMATTER)
            )
            continue
        captions: list[Tag] = node.find_all("figcaption") if node.name == "figure" else []
        after = [_picture_block(img, images, notes) for img in pictures]
        after += [_caption_block(caption) for caption in captions]
        if node.name == "img":
            node.decompose()
        else:
            for img in pictures:
                _without_picture(img)
            for caption in captions:
                caption.decompose()
            out.append(_block_as_text(node))
        out.extend(after)
    return "\n".join(part for part in out if part.strip())


_EMBEDDED_IMAGE = re.compile(r"<embed\b[^>]*\bembedtype=\"image\"[^>]*/?>", re.IGNORECASE)
_EMBED_ATTRIBUTE = re.compile(r'\b(id|alt)="([^"]*)"')


def portable_images(stored: str, address_of: Callable[[int], str | None]) -> str:
    """Stored rich text with each image embed made a plain ``<img>`` of the image's address
    (``address_of(image id)``), for a file another site will read (an export); an image that
    no longer exists is left out."""

    def plain(match: re.Match[str]) -> str:
        attributes = dict(_EMBED_ATTRIBUTE.findall(match.group(0)))
        image_id = attributes.get("id", "")
        address = address_of(int(image_id)) if image_id.isdigit() else None
        if not address:
            return ""
        alt = attributes.get("alt", "")
        return f'<figure><img src="{html.escape(address)}" alt="{alt}"></figure>'

    return _EMBEDDED_IMAGE.sub(plain, stored)
