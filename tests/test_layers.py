"""The layers of docs/architecture.md, checked on every module's imports (also those inside
functions), so a new import that makes a cycle fails here instead of at a confusing runtime.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import newsdesk

PACKAGE = Path(newsdesk.__file__).parent

# What each part may import besides itself (docs/architecture.md, "Apps and what each may use").
# The composition roots (settings, urls, wsgi, cli) and ops, the process layer on top, may use
# everything and are not listed.
ALLOWED: dict[str, set[str]] = {
    "env": set(),
    "markup": set(),
    "core": {"env"},
    "mail": {"env", "core"},
    "news": {"core", "env", "markup"},
    "related": {"news", "core", "env", "markup"},
    "newsletter": {"news", "mail", "core", "env", "markup"},
    "accounts": {"newsletter.subscriptions", "core", "env"},
    "importers": {"news", "related", "newsletter.subscriptions", "core", "env", "markup"},
}
# Inside newsletter: each room may use the rooms listed, and the app's shared modules.
NEWSLETTER_SHARED = {"models", "tasks"}
ROOMS: dict[str, set[str]] = {
    "subscriptions": set(),
    "digests": {"subscriptions"},
    "delivery": {"digests", "subscriptions"},
    "feedback": {"subscriptions"},
}


def _part(module: str) -> str:
    """``newsdesk.newsletter.digests.render`` → ``newsletter``; ``newsdesk.env`` → ``env``."""
    return module.split(".")[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # ``from newsdesk.newsletter import models`` names a module, not an attribute.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("newsdesk.")}


def _modules() -> list[tuple[str, Path]]:
    modules = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        modules.append((".".join(relative.parts).removesuffix(".__init__"), path))
    return modules


def _existing(name: str) -> bool:
    relative = Path(*name.split("."))
    base = PACKAGE.parent / relative
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def test_each_part_imports_only_the_layers_below_it() -> None:
    wrong = []
    for module, path in _modules():
        if module.count(".") < 1 or _part(module) not in ALLOWED:
            continue
        part = _part(module)
        for name in _imports(path):
            if not _existing(name) or name == "newsdesk." + part or name.count(".") < 1:
                continue
            other = _part(name)
            if other == part:
                continue
            if not any(
                name == f"newsdesk.{a}" or name.startswith(f"newsdesk.{a}.") or (other == a)
                for a in ALLOWED[part]
            ):
                wrong.append(f"{module} imports {name}")
    assert wrong == []


def test_newsletter_rooms_use_only_the_rooms_before_them() -> None:
    wrong = []
    for module, path in _modules():
        parts = module.split(".")
        if parts[:2] != ["newsdesk", "newsletter"] or len(parts) < 4 or parts[2] not in ROOMS:
            continue
        room = parts[2]
        for name in _imports(path):
            other = name.split(".")
            if other[:2] != ["newsdesk", "newsletter"] or len(other) < 3 or not _existing(name):
                continue
            target = other[2]
            if target == room or target in NEWSLETTER_SHARED or target in ROOMS[room]:
                continue
            wrong.append(f"{module} imports {name}")
    assert wrong == []


@pytest.mark.parametrize("name", ["newsdesk.news.selectors", "newsdesk.newsletter.digests"])
def test_the_checks_see_the_modules_they_check(name: str) -> None:
    # Guard against a check that passes because it found nothing to look at.
    assert any(module == name for module, _ in _modules())
