"""Ghost's editor documents (Lexical, and Mobiledoc before Ghost 5) rendered to plain HTML.

A Ghost export carries each post's ``html`` as Ghost rendered it; some exports leave it empty
and keep only the editor's document. What is rendered here is what a news body holds
(paragraphs, headings, lists, quotes, links, emphasis, code, rules, and the Markdown and HTML
cards); the result is sanitised with every other import's HTML afterwards, so this module only
needs to produce the shape, not to make it safe. Images are counted and left out, as the body
allowlist has no images yet.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from html import escape
from typing import Any

from newsdesk.markup import markdown_to_html

# Ghost nests blocks a few levels deep at most (a list in a list in a quote); a document
# nested far deeper is hostile, and recursing into it would end in a RecursionError.
MAX_DEPTH = 40

# Lexical's text format bits, and the tag each stands for (the order they nest in).
_FORMATS = ((1, "strong"), (2, "em"), (4, "s"), (8, "u"), (16, "code"), (32, "sub"), (64, "sup"))
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "aside", "pull-quote"}


class DocumentError(ValueError):
    """The editor document is not of the expected shape; the message says where."""


def _text(value: Any) -> str:
    return escape(value) if isinstance(value, str) else ""


def _safe_href(value: Any) -> str:
    return escape(value, quote=True) if isinstance(value, str) else ""


class _LexicalRenderer:
    def __init__(self, notes: Counter[str]) -> None:
        self.notes = notes

    def children(self, node: dict[str, Any], depth: int) -> str:
        children = node.get("children") or []
        if not isinstance(children, list):
            raise DocumentError("a node's 'children' is not a list")
        return "".join(self.node(child, depth + 1) for child in children)

    def node(self, node: Any, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise DocumentError(f"the document is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, dict):
            raise DocumentError("a node is not an object")
        kind = node.get("type")
        render = self._by_type.get(kind) if isinstance(kind, str) else None
        if render is not None:
            return render(self, node, depth)
        if node.get("children"):
            return self.children(node, depth)
        self.notes[f"Ghost card {str(kind)[:30]!r} left out"] += 1
        return ""

    def root(self, node: dict[str, Any], depth: int) -> str:
        return self.children(node, depth)

    def paragraph(self, node: dict[str, Any], depth: int) -> str:
        return f"<p>{self.children(node, depth)}</p>\n"

    def heading(self, node: dict[str, Any], depth: int) -> str:
        tag = node.get("tag") if node.get("tag") in {"h1", "h2", "h3", "h4", "h5", "h6"} else "h2"
        return f"<{tag}>{self.children(node, depth)}</{tag}>\n"

    def a_list(self, node: dict[str, Any], depth: int) -> str:
        tag = "ol" if node.get("listType") == "number" else "ul"
        return f"<{tag}>{self.children(node, depth)}</{tag}>\n"

    def listitem(self, node: dict[str, Any], depth: int) -> str:
        return f"<li>{self.children(node, depth)}</li>"

    def quote(self, node: dict[str, Any], depth: int) -> str:
        return f"<blockquote><p>{self.children(node, depth)}</p></blockquote>\n"

    def text(self, node: dict[str, Any], depth: int) -> str:
        html = _text(node.get("text"))
        bits = node.get("format")
        bits = bits if isinstance(bits, int) else 0
        for bit, tag in _FORMATS:
            if bits & bit:
                html = f"<{tag}>{html}</{tag}>"
        return html

    def link(self, node: dict[str, Any], depth: int) -> str:
        return f'<a href="{_safe_href(node.get("url"))}">{self.children(node, depth)}</a>'

    def linebreak(self, node: dict[str, Any], depth: int) -> str:
        return "<br>"

    def rule(self, node: dict[str, Any], depth: int) -> str:
        return "<hr>\n"

    def image(self, node: dict[str, Any], depth: int) -> str:
        return figure(node)

    def gallery(self, node: dict[str, Any], depth: int) -> str:
        return gallery(node)

    def markdown(self, node: dict[str, Any], depth: int) -> str:
        source = node.get("markdown")
        return markdown_to_html(source) if isinstance(source, str) else ""

    def html(self, node: dict[str, Any], depth: int) -> str:
        html = node.get("html")
        return html if isinstance(html, str) else ""

    def callout(self, node: dict[str, Any], depth: int) -> str:
        text = node.get("calloutText")
        return f"<blockquote>{text}</blockquote>\n" if isinstance(text, str) else ""

    def codeblock(self, node: dict[str, Any], depth: int) -> str:
        return f"<pre><code>{_text(node.get('code'))}</code></pre>\n"

    _by_type: dict[str, Callable[[_LexicalRenderer, dict[str, Any], int], str]] = {
        "root": root,
        "paragraph": paragraph,
        "heading": heading,
        "extended-heading": heading,
        "list": a_list,
        "listitem": listitem,
        "quote": quote,
        "extended-quote": quote,
        "aside": quote,
        "text": text,
        "extended-text": text,
        "link": link,
        "autolink": link,
        "linebreak": linebreak,
        "horizontalrule": rule,
        "image": image,
        "gallery": gallery,
        "markdown": markdown,
        "html": html,
        "callout": callout,
        "codeblock": codeblock,
    }


def figure(card: dict[str, Any]) -> str:
    """An image card (Lexical's node or Mobiledoc's payload: ``src``, ``alt``, ``caption``,
    the caption being HTML) as a figure, for the run to make an image of."""
    src = card.get("src")
    if not isinstance(src, str) or not src.strip():
        return ""
    alt = card.get("alt")
    caption = card.get("caption")
    figcaption = f"<figcaption>{caption}</figcaption>" if isinstance(caption, str) else ""
    alt_text = escape(alt) if isinstance(alt, str) else ""
    return f'<figure><img src="{escape(src.strip())}" alt="{alt_text}">{figcaption}</figure>\n'


def gallery(card: dict[str, Any]) -> str:
    """A gallery card: a figure per picture, the gallery's caption under the last."""
    images = card.get("images")
    if not isinstance(images, list):
        return ""
    figures = [figure(image) for image in images if isinstance(image, dict)]
    caption = card.get("caption")
    if figures and isinstance(caption, str) and caption.strip():
        figures.append(f"<p>{caption}</p>\n")
    return "".join(figures)


def _loaded(document: str, what: str) -> Any:
    try:
        return json.loads(document)
    except (ValueError, RecursionError):
        raise DocumentError(f"its {what} document is not valid JSON") from None


def lexical_to_html(document: str, notes: Counter[str]) -> str:
    """Ghost 5 and 6's Lexical JSON (a string in the export) to HTML."""
    data = _loaded(document, "lexical")
    if not isinstance(data, dict) or not isinstance(data.get("root"), dict):
        raise DocumentError("its lexical document has no 'root'")
    return _LexicalRenderer(notes).node(data["root"], 0)


def _list_in(data: dict[str, Any], name: str) -> list[Any]:
    value = data.get(name)
    return value if isinstance(value, list) else []


def _open_tag(markup: Any) -> tuple[str, str]:
    """A Mobiledoc markup (``["a", ["href", "…"]]``) as its opening and closing tags."""
    if not isinstance(markup, list) or not markup or not isinstance(markup[0], str):
        raise DocumentError("a mobiledoc markup is not [tag, attributes]")
    tag = markup[0].lower()
    if tag == "a":
        attributes = markup[1] if len(markup) > 1 and isinstance(markup[1], list) else []
        pairs = dict(zip(attributes[::2], attributes[1::2], strict=False))
        return f'<a href="{_safe_href(pairs.get("href"))}">', "</a>"
    if not tag.isalnum():
        return "", ""
    return f"<{tag}>", f"</{tag}>"


def _markers(markers: Any, markups: list[Any], atoms: list[Any]) -> str:
    if not isinstance(markers, list):
        raise DocumentError("a mobiledoc section's markers are not a list")
    out: list[str] = []
    open_tags: list[str] = []
    for marker in markers:
        if not isinstance(marker, list) or len(marker) != 4:
            raise DocumentError("a mobiledoc marker is not [type, markups, closed, value]")
        kind, opened, closed, value = marker
        for index in opened if isinstance(opened, list) else []:
            if not isinstance(index, int) or not 0 <= index < len(markups):
                raise DocumentError("a mobiledoc marker names a markup that is not there")
            start, end = _open_tag(markups[index])
            out.append(start)
            open_tags.append(end)
        if kind == 0:
            out.append(_text(value))
        elif kind == 1 and isinstance(value, int) and 0 <= value < len(atoms):
            atom = atoms[value]
            if isinstance(atom, list) and len(atom) > 1 and atom[0] == "soft-return":
                out.append("<br>")
            elif isinstance(atom, list) and len(atom) > 1:
                out.append(_text(atom[1]))
        for _ in range(closed if isinstance(closed, int) else 0):
            if open_tags:
                out.append(open_tags.pop())
    out.extend(reversed(open_tags))
    return "".join(out)


def mobiledoc_to_html(document: str, notes: Counter[str]) -> str:
    """Ghost 1–4's Mobiledoc JSON (a string in the export) to HTML."""
    data = _loaded(document, "mobiledoc")
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise DocumentError("its mobiledoc document has no 'sections'")
    markups, atoms, cards = (_list_in(data, name) for name in ("markups", "atoms", "cards"))
    out: list[str] = []
    for section in data["sections"]:
        if not isinstance(section, list) or not section:
            raise DocumentError("a mobiledoc section is not a list")
        kind = section[0]
        if kind == 1 and len(section) >= 3:  # a markup section: [1, tag, markers]
            tag = str(section[1]).lower()
            tag = tag if tag in _BLOCK_TAGS else "p"
            tag = "blockquote" if tag in {"aside", "pull-quote"} else tag
            out.append(f"<{tag}>{_markers(section[2], markups, atoms)}</{tag}>\n")
        elif kind == 3 and len(section) >= 3:  # a list: [3, "ul" | "ol", [markers, ...]]
            tag = "ol" if section[1] == "ol" else "ul"
            items = section[2] if isinstance(section[2], list) else []
            lis = "".join(f"<li>{_markers(item, markups, atoms)}</li>" for item in items)
            out.append(f"<{tag}>{lis}</{tag}>\n")
        elif kind == 10 and len(section) >= 2:  # a card: [10, index into cards]
            index = section[1]
            if isinstance(index, int) and 0 <= index < len(cards):
                out.append(_mobiledoc_card(cards[index], notes))
        elif kind == 2 and len(section) >= 2:  # an image section: [2, src]
            out.append(figure({"src": section[1]}))
        else:
            notes["mobiledoc section of an unknown kind left out"] += 1
    return "".join(out)


def _mobiledoc_card(card: Any, notes: Counter[str]) -> str:
    if not isinstance(card, list) or len(card) < 2 or not isinstance(card[1], dict):
        raise DocumentError("a mobiledoc card is not [name, payload]")
    name, payload = card[0], card[1]
    if name in {"markdown", "card-markdown"} and isinstance(payload.get("markdown"), str):
        return markdown_to_html(payload["markdown"])
    if name == "html" and isinstance(payload.get("html"), str):
        return payload["html"]
    if name == "hr":
        return "<hr>\n"
    if name == "image":
        return figure(payload)
    if name == "gallery":
        return gallery(payload)
    notes[f"Ghost card {str(name)[:30]!r} left out"] += 1
    return ""
