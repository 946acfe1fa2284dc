"""axe-core (shipped by axe-playwright-python) run in a Playwright page with the WCAG 2.1 A/AA rules the RGAA 4.1
rests on; violations read as one line per node so that a failing test says what to fix and where."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_AXE = Axe()


def violations(page: Any) -> list[dict[str, Any]]:
    """axe's violations of the WCAG 2.1 A and AA rules on the page as it stands."""
    results = _AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                      "resultTypes": ["violations"]})
    return list(results.response["violations"])


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        for node in violation["nodes"]:
            lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']} -> "
                         f"{' '.join(map(str, node['target']))} {node['html'][:160]}")
    return "\n".join(lines)
