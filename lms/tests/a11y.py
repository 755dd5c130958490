"""axe-core in a Playwright page: the WCAG 2.2 AA rules, violations with their selectors.

axe-core comes from ``node_modules`` (``make test`` runs ``npm ci``; package-lock.json pins
it). It is put into the page with ``page.evaluate(source)``, not ``page.add_script_tag``:
add_script_tag inserts a ``<script>`` element (inline with ``content=``, and with
``path=`` too, since Playwright inlines the file), which the site's Content Security
Policy (``script-src 'self'``) blocks, as it should. ``evaluate`` runs through the
DevTools protocol, which CSP does not govern, so the page keeps its real policy for
everything else and no ``bypass_csp`` context is needed.
"""

import os
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_axe() -> None:
    """Skip (fail under CI=true) when ``make test`` has not installed axe-core."""
    if not AXE.exists():
        reason = f"{AXE.relative_to(ROOT)} is missing: make test installs it (npm ci)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


@cache
def axe_source() -> str:
    return AXE.read_text()


def axe_violations(page) -> list[dict]:
    """Run axe on the page as it is now; its violations, every impact.

    Each violation: ``id``, ``impact``, ``help``, ``helpUrl`` and ``nodes``, each node
    with its ``target`` (CSS selectors), ``html`` and axe's ``summary`` of what to fix.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags},
                resultTypes: ["violations"],
            });
            return results.violations.map(v => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target.map(String),
                    html: n.html,
                    summary: n.failureSummary,
                })),
            }));
        }""",
        WCAG_22_AA,
    )


def describe(violations: list[dict], *, where: str) -> str:
    """A failure message a person can act on: rule, impact, each element and the fix."""
    lines = []
    for violation in violations:
        lines.append(
            f"{where}: {violation['id']} ({violation['impact']}): {violation['help']} "
            f"<{violation['helpUrl'].split('?')[0]}>"
        )
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    - {' '.join(node['target'])}  {node['html'][:120]}")
            lines.append(f"      {summary[:300]}")
    return "\n".join(lines)
