"""The YAML front matter of a Markdown file, read without the parts of YAML that attack a reader.

``SafeLoader`` already refuses tags that build Python objects. The loader here also refuses:

- anchors and aliases (``&a``, ``*a``): nine lines of ``&b [*a, *a, ...]`` are a few hundred
  bytes that stand for hundreds of millions of items as soon as anything walks the value (the
  "billion laughs"; 55 s and 2.6 GB before a MemoryError). Article metadata never needs them;
- nesting deeper than ``MAX_DEPTH``: the composer recurses once per level;
- front matter longer than ``MAX_FRONT_MATTER_CHARS``.

A value that YAML resolves but Python cannot build (``2024-13-45`` is a YAML 1.1 timestamp with
no such day; a 5,000-digit integer is past Python's int-from-text limit) is reported with its
key and line, like every other mistake, instead of escaping as a ValueError.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode

from newsdesk.importers.base import ImportFailure

MAX_FRONT_MATTER_CHARS = 64 * 1024
MAX_DEPTH = 20
MAX_KEYS_SHOWN = 10
# Front matter starts on the file's second line: a mark's 0-based line + 2 is the file's line.
FIRST_LINE = 2

_OPENING = re.compile(r"---[ \t]*\n")
_CLOSING = re.compile(r"^---[ \t]*$", re.MULTILINE)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_INT = "tag:yaml.org,2002:int"
_NULL = "tag:yaml.org,2002:null"


@dataclass(frozen=True)
class Field:
    value: Any
    line: int


@dataclass(frozen=True)
class FrontMatter:
    fields: dict[str, Field]
    body: str
    body_line: int  # the file's line where ``body`` starts

    def first(self, *keys: str) -> tuple[str, Any, int]:
        """The first of ``keys`` present, as (key, value, line); else the first key, None."""
        for key in keys:
            if key in self.fields:
                return key, self.fields[key].value, self.fields[key].line
        return keys[0], None, FIRST_LINE


class _Refused(Exception):
    def __init__(self, message: str, mark: Mark) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Unbuildable(Exception):
    """A node YAML resolved but could not turn into a value; the innermost one is kept."""

    def __init__(self, node: Node, cause: Exception) -> None:
        super().__init__(str(cause))
        self.node = node
        self.cause = cause


class _Loader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or deep nesting (see the module's docstring)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # Refused at the event, before the composer resolves an alias into a shared node.
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                "front matter may not use YAML anchors or aliases (&, *)", event.start_mark
            )
        if self._depth >= MAX_DEPTH:
            raise _Refused(
                f"front matter is nested more than {MAX_DEPTH} levels deep", event.start_mark
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except _Unbuildable:
            raise
        except Exception as exc:
            # Any failure to build a value from text is a mistake in the file (ValueError for
            # 2024-13-45 or a 5,000-digit int, AttributeError for a bad !!timestamp, ...):
            # the node says where it is.
            raise _Unbuildable(node, exc) from exc


def _line(mark: Mark | None) -> int:
    return mark.line + FIRST_LINE if mark is not None else FIRST_LINE


def _unbuildable_message(key: str, failure: _Unbuildable) -> str:
    node, cause = failure.node, failure.cause
    text = node.value if isinstance(node, ScalarNode) else ""
    shown = repr(text[:40]) + ("…" if len(text) > 40 else "")
    digits = sum(ch.isdigit() for ch in text)
    if node.tag == _INT and digits > sys.get_int_max_str_digits():
        return f"{key!r} is a number with {digits:,} digits, too long to read (put it in quotes)"
    if node.tag == _TIMESTAMP:
        # ValueError says what is wrong ("month must be in 1..12"); others say nothing useful.
        detail = f" ({cause})" if isinstance(cause, ValueError) else ""
        return f"{key!r} is not a real date: {shown}{detail}; write it as YYYY-MM-DD"
    if isinstance(cause, yaml.constructor.ConstructorError):
        if node.tag.startswith("tag:yaml.org,2002:python/"):
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            return f"{key!r} is not valid YAML here: the tag {tag} builds Python objects"
        return f"{key!r} is not valid YAML: {cause.problem}"
    return f"{key!r} cannot be read: {cause}"


def _compose(path: Path, loader: _Loader, source: str) -> Node | None:
    try:
        return loader.get_single_node()
    except _Refused as refused:
        raise ImportFailure(path, _line(refused.mark), refused.message) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (column {mark.column + 1})" if mark is not None else ""
        problem = exc.problem or "unreadable"
        context = f", {exc.context}" if exc.context else ""
        raise ImportFailure(
            path, _line(mark), f"front matter is not valid YAML{where}: {problem}{context}"
        ) from None


def _reader_failure(path: Path, source: str, exc: yaml.reader.ReaderError) -> ImportFailure:
    """A character YAML does not allow (most control characters): it has an offset, no mark."""
    line = source[: exc.position].count("\n") + FIRST_LINE
    character = ascii(chr(exc.character))[1:-1]
    return ImportFailure(
        path,
        line,
        f"front matter contains the character {character}, which YAML does not allow (remove it)",
    )


def _fields(
    path: Path, loader: _Loader, root: Node | None, known: Collection[str]
) -> dict[str, Field]:
    if root is None or (isinstance(root, ScalarNode) and root.tag == _NULL):
        return {}
    if not isinstance(root, MappingNode):
        raise ImportFailure(
            path, _line(root.start_mark), "front matter must be a set of 'key: value' lines"
        )
    nodes: dict[str, tuple[Node, int]] = {}
    unknown: list[tuple[str, int]] = []
    for key_node, value_node in root.value:
        line = _line(key_node.start_mark)
        if not isinstance(key_node, ScalarNode):
            raise ImportFailure(path, line, "front matter keys must be plain names like 'title'")
        key = key_node.value
        if key not in known:
            unknown.append((key, line))
        elif key in nodes:
            first = nodes[key][1]
            raise ImportFailure(path, line, f"{key!r} appears twice (first on line {first})")
        else:
            nodes[key] = (value_node, line)
    if unknown:
        names = ", ".join(key for key, _line_number in unknown[:MAX_KEYS_SHOWN])
        more = f" and {len(unknown) - MAX_KEYS_SHOWN} more" if len(unknown) > MAX_KEYS_SHOWN else ""
        raise ImportFailure(
            path,
            unknown[0][1],
            f"unknown front matter keys: {names}{more} (known: {', '.join(sorted(known))})",
        )
    fields: dict[str, Field] = {}
    for key, (value_node, line) in nodes.items():
        try:
            value = loader.construct_object(value_node, deep=True)
        except _Unbuildable as failure:
            raise ImportFailure(
                path, _line(failure.node.start_mark), _unbuildable_message(key, failure)
            ) from None
        fields[key] = Field(value, line)
    return fields


def read_front_matter(path: Path, text: str, *, known: Collection[str]) -> FrontMatter:
    """Split ``text`` into its front matter's fields and the Markdown body after it.

    Without an opening ``---`` line, or without a closing one, there is no front matter and the
    whole text is the body (as before; Markdown shows a lone ``---`` as a rule).
    """
    opening = _OPENING.match(text)
    closing = _CLOSING.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        return FrontMatter({}, text, 1)
    source = text[opening.end() : closing.start()]
    if len(source) > MAX_FRONT_MATTER_CHARS:
        raise ImportFailure(
            path,
            FIRST_LINE,
            f"front matter is {len(source):,} characters; the limit is "
            f"{MAX_FRONT_MATTER_CHARS:,} (long text belongs in the body)",
        )
    try:
        # The reader checks every character as it is made, before composing can start.
        loader = _Loader(source)
    except yaml.reader.ReaderError as exc:
        raise _reader_failure(path, source, exc) from None
    try:
        fields = _fields(path, loader, _compose(path, loader, source), known)
    finally:
        loader.dispose()
    body_start = closing.end() + 1 if text.startswith("\n", closing.end()) else closing.end()
    body_line = text.count("\n", 0, body_start) + 1
    return FrontMatter(fields, text[body_start:], body_line)
