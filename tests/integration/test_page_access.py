"""The access matrix for the pages (issue 10): each role, signed in through the development
sign-in, on every page of the jail's and the auditor's journeys, for a case of its own unit
and one of a foreign unit. A page never shows a name or CPR number that the same role and
unit cannot read through the API; refusals are those of the API (403 for a role that may
not, 404 for a foreign case); every page is ``no-store``, every form carries the CSRF token,
no link or form action carries personal data; a page's read is logged with the purpose the
API's read has."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from integration.test_access_log import purposes
from integration.test_signin_dev import IDENTITIES, browser_of, csrf_of, dev_sign_in
from support.data import Units, case_body
from support.web_session import forged

ROLES = tuple(IDENTITIES)
PAGES = (
    "/sager",
    "/sager/ny",
    "/sager/{case}",
    "/sager/{case}/ret",
    "/sager/{case}/tilbagetraek",
    "/sager/{case}/udveksling",
    "/udvekslinger",
    "/opgaver",
    "/revision",
    "/revision/adgangslog",
)
Auth = Callable[..., dict[str, str]]


@dataclass(frozen=True)
class Subject:
    case_id: str
    name: str
    cpr: str

    def shown_in(self, text: str) -> set[str]:
        """What of the person ``text`` shows: their name, their full CPR number."""
        found = set()
        if self.name in text:
            found.add("name")
        if self.cpr in text or self.cpr.replace("-", "") in text:
            found.add("cpr")
        return found


async def submitted(client: httpx.AsyncClient, auth: Auth, unit: str, kif_unit: str) -> Subject:
    body = case_body(kif_unit)
    made = await client.post("/api/v1/cases", json=body, headers=auth("arrest", unit))
    assert made.status_code == 201, made.text
    return Subject(made.json()["id"], body["subject"]["name"], body["subject"]["cpr"])


@pytest.fixture
async def world(client: httpx.AsyncClient, auth: Auth, units: Units) -> dict[str, Subject]:
    """A case of the development jail's unit routed to the development KiF unit, and one of
    a foreign jail routed to a foreign KiF unit."""
    return {
        "own": await submitted(client, auth, IDENTITIES["arrest"], IDENTITIES["kif"]),
        "foreign": await submitted(client, auth, units.other_arrest, units.other_kif),
    }


async def api_sees(client: httpx.AsyncClient, auth: Auth, role: str, subject: Subject) -> set[str]:
    """What the API shows this role and unit of the person, by the case and the listing."""
    headers = auth(role, IDENTITIES[role])
    seen: set[str] = set()
    for path in (f"/api/v1/cases/{subject.case_id}", "/api/v1/cases?limit=200"):
        response = await client.get(path, headers=headers)
        if response.status_code == 200:
            seen |= subject.shown_in(response.text)
    return seen


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


@pytest.mark.parametrize("role", ROLES)
async def test_a_page_shows_no_name_or_cpr_the_api_would_not_show_the_same_role(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, world: dict[str, Subject], role: str
) -> None:
    browser = await browser_of(app)
    try:
        assert (await dev_sign_in(browser, role)).status_code == 303
        for relation, subject in world.items():
            allowed = await api_sees(client, auth, role, subject)
            api_read = await client.get(
                f"/api/v1/cases/{subject.case_id}", headers=auth(role, IDENTITIES[role])
            )
            for template in PAGES:
                path = template.format(case=subject.case_id)
                page = await browser.get(path)
                where = f"{role} {relation} {path}: {page.status_code}"
                assert page.status_code in {200, 403, 404}, where
                assert subject.shown_in(page.text) <= allowed, where
                assert page.headers["cache-control"] == "no-store", where
                assert "unsafe-inline" not in page.headers["content-security-policy"], where
                for url in urls_in(page.text):
                    assert not subject.shown_in(url), where
                forms = page.text.count('<form method="post"')
                assert page.text.count('name="csrf_token"') == forms, where
            case_page = await browser.get(f"/sager/{subject.case_id}")
            assert case_page.status_code == api_read.status_code, f"{role} {relation}"
    finally:
        await browser.aclose()


async def test_the_jail_sees_its_own_case_on_its_pages_and_not_a_foreign_one(
    app: Litestar, world: dict[str, Subject]
) -> None:
    """The matrix above would pass with empty pages: the jail does see its own."""
    browser = await browser_of(app)
    try:
        await dev_sign_in(browser, "arrest")
        own = await browser.get(f"/sager/{world['own'].case_id}")
        assert world["own"].shown_in(own.text) == {"name"}  # the full CPR: KiF's only
        assert world["own"].cpr[:6] in own.text  # its masked form
        listing = await browser.get("/sager")
        assert "name" in world["own"].shown_in(listing.text)
        assert world["foreign"].shown_in(listing.text) == set()
        assert (await browser.get(f"/sager/{world['foreign'].case_id}")).status_code == 404
    finally:
        await browser.aclose()


async def test_a_page_refuses_a_role_that_may_not_as_the_api_does(app: Litestar) -> None:
    browser = await browser_of(app)
    try:
        await dev_sign_in(browser, "participant")
        refused = await browser.get("/revision")
        assert refused.status_code == 403
        assert "Din rolle giver ikke adgang" in refused.text
        await dev_sign_in(browser, "auditor")
        assert (await browser.get("/sager/ny")).status_code == 403
    finally:
        await browser.aclose()


async def test_a_page_read_is_access_logged_with_the_purpose_of_the_api_read(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, world: dict[str, Subject]
) -> None:
    """Directive 2016/680 art. 25(1): every consultation is logged with its justification;
    through a page exactly as through the API."""
    browser = await browser_of(app)
    try:
        await dev_sign_in(browser, "arrest")
        assert (await browser.get(f"/sager/{world['own'].case_id}")).status_code == 200
    finally:
        await browser.aclose()
    api = auth("arrest", IDENTITIES["arrest"], sub="api-jail")
    assert (await client.get(f"/api/v1/cases/{world['own'].case_id}", headers=api)).is_success
    logged = await purposes(client, auth, units, world["own"].cpr)
    by_page = {(r, p) for sub, r, p in logged if sub == "dev-arrest"}
    by_api = {(r, p) for sub, r, p in logged if sub == "api-jail"}
    assert ("case", "case-handling") in by_page
    assert by_api <= by_page


async def test_every_page_form_post_without_its_csrf_token_is_forbidden(
    app: Litestar, world: dict[str, Subject]
) -> None:
    browser = await browser_of(app)
    try:
        await dev_sign_in(browser, "arrest")
        token = csrf_of(await browser.get("/sager/ny"))
        case = world["own"].case_id
        for path in ("/sager/ny", f"/sager/{case}/ret", f"/sager/{case}/tilbagetraek"):
            for data in ({"reason": "x"}, {"reason": "x", "csrf_token": forged(token)}):
                refused = await browser.post(path, data=data)
                assert refused.status_code == 403, path
        withdrawn = await browser.post(
            f"/sager/{case}/tilbagetraek", data={"reason": "Dublet", "csrf_token": token}
        )
        assert withdrawn.status_code == 303
    finally:
        await browser.aclose()
