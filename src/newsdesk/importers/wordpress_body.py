"""A WordPress post's stored HTML made into the HTML a browser would have shown.

WordPress keeps a post's body as it was typed: block-editor posts carry ``<!-- wp:... -->``
comments around their HTML, classic-editor posts separate paragraphs by blank lines (WordPress
adds the ``<p>`` and ``<br>`` when it shows them, its "autop"), and both may hold shortcodes
(``[caption]``, ``[gallery]``) that WordPress expands at display time. The result still passes
through the sanitiser afterwards; this only puts back the structure, with pictures as
``<figure>``s for the run to make images of (``newsdesk.importers.figures``).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

# Block comments are markup for the block editor only; their HTML between them is the content.
_BLOCK_COMMENT = re.compile(r"<!--\s*/?wp:.*?-->", re.DOTALL)
# Blank lines inside <pre> are part of the code shown, not paragraph breaks.
_PRE = re.compile(r"(<pre[\s>].*?</pre>)", re.DOTALL | re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")
# A chunk that starts with one of these is already a block: wrapping it in <p> would nest
# blocks inside a paragraph.
_BLOCK_START = re.compile(
    r"<(?:p|h[1-6]|ul|ol|li|dl|dt|dd|blockquote|figure|figcaption|div|table|thead|tbody|tr|"
    r"td|th|pre|hr|section|article|aside|header|footer|address|form|fieldset|iframe|object|"
    r"video|audio|details|summary|nav|math|style|script)[\s/>]",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"\[caption\b([^\]]*)\](.*?)\[/caption\]", re.DOTALL | re.IGNORECASE)
_CAPTION_ATTRIBUTE = re.compile(r"""\bcaption=(["'])(.*?)\1""", re.DOTALL)
# The image, with the link around it if it has one.
_CAPTION_IMAGE = re.compile(r"(?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?", re.IGNORECASE)
# Shortcodes whose content is a media address, useless without the plugin that expands it.
_MEDIA_SHORTCODE = re.compile(
    r"\[(embed|video|audio|playlist)\b[^\]]*\].*?\[/\1\]", re.DOTALL | re.IGNORECASE
)
_SHORTCODE = re.compile(r"\[(/?)([A-Za-z][\w-]*)((?:\s[^\]]*)?)(/?)\]")
_GALLERY = re.compile(r"\[gallery\b([^\]]*)\]", re.IGNORECASE)
_GALLERY_IDS = re.compile(r"""\bids=(["']?)([\d,\s]+)\1""")
# Where a gallery's picture points until its attachment is known: a reserved domain (RFC 2606)
# that never resolves, an https address so that the sanitiser keeps it.
ATTACHMENT_PLACEHOLDER = "https://newsdesk.invalid/wp-attachment/"
THIS_POST = "this-post"
# WordPress's own shortcodes, dropped even when written bare ("[gallery]").
_CORE_SHORTCODES = frozenset({"gallery", "playlist", "audio", "video", "embed", "caption"})
_H1 = re.compile(r"<(/?)h1(?=[\s>])", re.IGNORECASE)
_H5_H6 = re.compile(r"<(/?)h[56](?=[\s>])", re.IGNORECASE)


@dataclass
class CleanBody:
    html: str
    # What was left out, for the import's report: "[gallery] shortcode dropped" -> 2.
    notes: Counter[str] = field(default_factory=Counter)


def _caption(match: re.Match[str], notes: Counter[str]) -> str:
    """``[caption]<img> Text[/caption]`` becomes a figure with the text as its caption."""
    attributes, inner = match.group(1), match.group(2)
    image = _CAPTION_IMAGE.search(inner)
    text = _CAPTION_IMAGE.sub("", inner).strip()
    if not text:
        # WordPress before 3.4 kept the text in an attribute.
        old_style = _CAPTION_ATTRIBUTE.search(attributes)
        text = old_style.group(2).strip() if old_style else ""
    if image is None:
        notes["[caption] shortcode without a picture made a paragraph"] += 1
        return f"\n\n<p>{text}</p>\n\n" if text else "\n\n"
    caption = f"<figcaption>{text}</figcaption>" if text else ""
    return f"\n\n<figure>{image.group(0)}{caption}</figure>\n\n"


def _gallery(match: re.Match[str]) -> str:
    """``[gallery ids="61,62"]`` becomes a figure per picture, each pointing at its attachment
    until the whole export has been read (attachments often come after the posts that show
    them); a gallery without ids shows the post's own attachments."""
    ids = _GALLERY_IDS.search(match.group(1))
    wanted = [i for i in re.split(r"[\s,]+", ids.group(2)) if i] if ids else [THIS_POST]
    figures = "".join(
        f'<figure><img src="{ATTACHMENT_PLACEHOLDER}{attachment}"></figure>'
        for attachment in wanted
    )
    return f"\n\n{figures}\n\n"


def _drop_shortcodes(html: str, notes: Counter[str]) -> str:
    """Remove shortcodes, keeping the text between an opening and a closing one.

    Square brackets are also ordinary text ("[sic]", "[1]"), so only a bracket that is surely a
    shortcode goes: one of WordPress's own, one with attributes (``[form id="3"]``), or one
    closed later in the post (``[note]…[/note]``).
    """
    closed = {m.group(2).lower() for m in _SHORTCODE.finditer(html) if m.group(1)}

    def replace(match: re.Match[str]) -> str:
        closing, name, attributes = match.group(1), match.group(2), match.group(3)
        lowered = name.lower()
        if not (lowered in _CORE_SHORTCODES or "=" in attributes or lowered in closed):
            return match.group(0)
        if not closing:
            notes[f"[{lowered}] shortcode dropped"] += 1
        return ""

    return _SHORTCODE.sub(replace, html)


def _autop(html: str) -> str:
    """Paragraphs at blank lines and ``<br>`` at single line breaks, outside existing blocks."""
    out: list[str] = []
    for index, part in enumerate(_PRE.split(html)):
        if index % 2:  # a <pre> block, as it was
            out.append(part)
            continue
        for chunk in _PARAGRAPH_BREAK.split(part):
            chunk = chunk.strip()
            if not chunk:
                continue
            if _BLOCK_START.match(chunk):
                out.append(chunk)
            else:
                out.append("<p>" + _LINE_BREAK.sub("<br>\n", chunk) + "</p>")
    return "\n".join(out)


def clean_wordpress_body(html: str) -> CleanBody:
    """The post's body as shown by WordPress, before sanitising. Headings move into the
    editor's range: the page's h1 is the headline, and h5/h6 become h4."""
    notes: Counter[str] = Counter()
    text = html.replace("\r\n", "\n").replace("\r", "\n")
    text = _BLOCK_COMMENT.sub("", text)
    text = _CAPTION.sub(lambda match: _caption(match, notes), text)
    text = _GALLERY.sub(_gallery, text)
    for media in _MEDIA_SHORTCODE.finditer(text):
        notes[f"[{media.group(1).lower()}] shortcode dropped"] += 1
    text = _MEDIA_SHORTCODE.sub("", text)
    text = _drop_shortcodes(text, notes)
    text = _autop(text)
    text = _H1.sub(r"<\1h2", text)
    text = _H5_H6.sub(r"<\1h4", text)
    return CleanBody(html=text, notes=notes)
