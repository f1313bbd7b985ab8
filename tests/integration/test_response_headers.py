"""Issue 7, finding 12: responses with personal data are not cached, HTML pages carry a CSP
without unsafe-inline, every response carries nosniff, and a Content-Type names one charset."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx

from support.data import Units
from support.flows import Auth, case_for_meeting, change_list, new_meeting


def sha256_source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


async def test_every_api_response_is_no_store_and_nosniff_also_refusals(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Cache-Control: no-store on /api/v1 (answers, 401s, 404s); nosniff everywhere."""
    case_id = await case_for_meeting(client, auth, units)
    answers = [
        await client.get(f"/api/v1/cases/{case_id}", headers=auth("kif", units.kif)),
        await client.get("/api/v1/cases"),  # 401 from authentication, outside middleware
        await client.get("/api/v1/no-such-route", headers=auth("kif", units.kif)),
    ]
    assert [a.status_code for a in answers] == [200, 401, 404]
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
    health = await client.get("/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in health.headers


async def test_the_html_document_has_one_charset_and_a_csp_that_allows_only_its_own_style(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """The Danish HTML version: no script may run, its inline style is allowed by hash."""
    meeting = await new_meeting(client, auth, units)
    case_id = await case_for_meeting(client, auth, units)
    made = (await change_list(client, auth, units, meeting, add=[case_id])).json()
    page = await client.get(
        f"/api/v1/documents/{made['document_id']}/versions/1",
        headers={**auth("kif", units.kif), "Accept": "text/html"},
    )
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "default-src 'none'" in policy
    assert "script-src" not in policy  # falls back to default-src 'none'
    style = re.search(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert style is not None
    assert sha256_source(style[1]) in policy
    assert page.headers["cache-control"] == "no-store"


async def test_the_openapi_ui_may_run_only_its_own_scripts(client: httpx.AsyncClient) -> None:
    """/schema: scripts from this origin only (its start-up script is a file); an inline
    script, if any, only by hash; no unsafe-inline."""
    page = await client.get("/schema")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.text, re.DOTALL)
    assert "script-src 'self'" in policy
    for script in inline:
        assert sha256_source(script) in policy
    assert page.headers["x-content-type-options"] == "nosniff"
