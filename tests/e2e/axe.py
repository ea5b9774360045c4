"""Running axe-core (shipped by the ``axe-playwright-python`` package) inside a page."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

BLOCKING_IMPACTS = frozenset({"serious", "critical"})


@cache
def axe_source() -> str:
    # The package ships axe.min.js; reading it from there keeps the tests offline.
    return resources.files("axe_playwright_python").joinpath("axe.min.js").read_text("utf-8")


def axe_run(page: Any, *, rules: list[str] | None = None) -> dict[str, Any]:
    """axe's results (violations, passes, ...) for the page as loaded; only ``rules`` if given."""
    page.evaluate(axe_source())
    options: dict[str, Any] = {}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    return dict(page.evaluate("options => axe.run(document, options)", options))


def axe_violations(page: Any, *, rules: list[str] | None = None) -> list[dict[str, Any]]:
    return list(axe_run(page, rules=rules)["violations"])


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """A readable list of violations and the elements they concern, for assertion messages."""
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:10]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '')}")
    return "\n".join(lines)
