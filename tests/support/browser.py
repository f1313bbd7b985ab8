"""The pages in a real browser: Debian's chromium steered by Playwright (never a downloaded
browser), the development sign-in as each role, and axe-core's WCAG 2.1 A/AA check.

axe-core comes from the npm package pinned in package-lock.json (``node_modules/axe-core``,
installed by ``make install``); it is evaluated in the page through the DevTools protocol, so
the page's own CSP (no inline script) is left as it is.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# The development sign-in's button for each role (templates/auth/dev_login.html.j2).
ROLE_BUTTONS = {
    "arrest": "Arresthus (Kriminalforsorgen)",
    "kif": "KIF-koordinator (Kriminalforsorgen)",
    "participant": "Deltager (kommune eller politi)",
    "auditor": "Revisor",
}
# The unit each development identity belongs to (ksp.auth.context.DEV_IDENTITIES).
ROLE_UNITS = {
    "arrest": "arrest-koebenhavn",
    "kif": "kif-hovedstaden",
    "participant": "kommune-101",
    "auditor": "intern-revision",
}


def browser_missing() -> str | None:
    """Why no browser test can run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not AXE.exists():
        return f"{AXE} is missing (make install)"
    try:
        import playwright.async_api  # noqa: F401, PLC0415 - only to know it is there
    except ImportError:
        return "playwright is not installed (make install)"
    return None


def skip_without_browser() -> None:
    reason = browser_missing()
    if reason:
        if os.environ.get("KSP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KSP_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


@dataclass
class Watch:
    """What a page asked for and complained about: every host it requested, and every
    console error (a CSP violation is one) or uncaught script error."""

    hosts: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message: Any) -> None:
        # A refused form answers 422 on purpose; failed files are caught in _response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(message.text)

    def _response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} {urlsplit(response.url).path}")

    def _request(self, request: Any) -> None:
        self.hosts.add(urlsplit(request.url).netloc)
        self.urls.append(request.url)


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A and AA violations of the page as it is now."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = await page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 5),
            }));
        }""",
        WCAG_TAGS,
    )
    return found


async def assert_accessible(page: Any) -> None:
    """No WCAG 2.1 A/AA violation on the page (axe-core), with the rules and elements named."""
    violations = await axe_violations(page)
    assert violations == [], f"axe on {page.url}:\n" + json.dumps(violations, indent=1)


async def screenshot(page: Any, name: str) -> Path:
    """A full-page screenshot for the README (docs/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
