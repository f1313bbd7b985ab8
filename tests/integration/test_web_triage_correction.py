"""KiF corrects a triage decision from the case's page, as ``POST
/api/v1/cases/{id}/triage`` with ``"corrects": true`` does (README "Corrections, withdrawals
and the units table"): a reason is required, the new decision replaces the old one, which
stays in ``triage_history``; an untriaged or withdrawn case is 409; only KiF of the case's
unit may (403 for other roles, 404 for another unit)."""

from __future__ import annotations

import httpx
from litestar import Litestar

from integration.test_web_meeting_pages import submitted_case, triaged
from integration.test_web_recipient_delivery import refused_at
from support.data import Units
from support.flows import Auth
from support.web_session import Browser, other_roles, signed_in, with_forged_csrf

CORRECTION = {"decision": "direct", "reason": "Borgeren løslades i morgen"}


async def triaged_case(
    kif: Browser, client: httpx.AsyncClient, auth: Auth, units: Units
) -> dict[str, str]:
    case = await submitted_case(client, auth, units)
    await triaged(kif, case["id"])
    return case


async def test_kif_corrects_a_triage_with_a_reason_and_the_old_decision_stays_in_the_history(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    case = await triaged_case(kif, client, auth, units)
    inbox = (await kif.get(f"/indbakke?visiteret={case['id']}")).text
    assert f'href="/sager/{case["id"]}#ret-visitering"' in inbox
    page = (await kif.get(f"/sager/{case['id']}")).text
    assert f'action="/sager/{case["id"]}/visitering"' in page
    unexplained = await kif.post(f"/sager/{case['id']}/visitering", {"decision": "direct"})
    assert unexplained.status_code == 422
    refused_at(unexplained, "reason", "Skriv en begrundelse for rettelsen af visiteringen.")
    undecided = await kif.post(f"/sager/{case['id']}/visitering", {"reason": "Fejl"})
    refused_at(undecided, "decision", "Feltet skal udfyldes.")
    assert "Fejl</textarea>" in undecided.text  # what was typed is kept
    corrected = await kif.post(f"/sager/{case['id']}/visitering", CORRECTION)
    assert corrected.status_code == 303, corrected.text
    assert corrected.headers["location"] == f"/sager/{case['id']}?gemt=visiteret"
    shown = (await kif.get(corrected.headers["location"])).text
    assert "Visiteringen er rettet." in shown
    assert "Direkte kontakt (rettelse)" in shown
    assert "Borgeren løslades i morgen" in shown
    api = await client.get(f"/api/v1/cases/{case['id']}", headers=auth("kif", units.kif))
    history = [(t["decision"], t["corrects"]) for t in api.json()["triage_history"]]
    assert history == [("meeting", False), ("direct", True)]
    assert api.json()["status"] == "direct"


async def test_an_untriaged_or_withdrawn_case_is_not_corrected_and_says_so_in_danish(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    waiting = await submitted_case(client, auth, units)
    page = (await kif.get(f"/sager/{waiting['id']}")).text
    assert "/visitering" not in page
    assert 'href="/indbakke"' in page
    early = await kif.post(f"/sager/{waiting['id']}/visitering", CORRECTION)
    assert early.status_code == 409
    assert "Sagen er allerede behandlet" in early.text
    case = await triaged_case(kif, client, auth, units)
    withdrawn = await client.post(
        f"/api/v1/cases/{case['id']}/withdraw",
        json={"reason": "Dublet"},
        headers=auth("arrest", units.arrest),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert "/visitering" not in (await kif.get(f"/sager/{case['id']}")).text
    late = await kif.post(f"/sager/{case['id']}/visitering", CORRECTION)
    assert late.status_code == 409


async def test_only_kif_of_the_cases_unit_corrects_a_triage(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    case = await triaged_case(kif, client, auth, units)
    path = f"/sager/{case['id']}/visitering"
    foreign = await signed_in(app, client, "kif", units.other_kif)
    assert (await foreign.post(path, CORRECTION)).status_code == 404
    jail = await signed_in(app, client, "arrest", units.arrest)
    assert "/visitering" not in (await jail.get(f"/sager/{case['id']}")).text
    for role, unit in other_roles(units):
        other = await signed_in(app, client, role, unit, f"{unit}@example.dk")
        assert (await other.post(path, CORRECTION)).status_code == 403, role
    forged = with_forged_csrf(kif)
    assert (await forged.post(path, CORRECTION)).status_code == 403
    api = await client.get(f"/api/v1/cases/{case['id']}", headers=auth("kif", units.kif))
    assert len(api.json()["triage_history"]) == 1  # none of them changed it


async def test_kif_finds_its_units_cases_from_the_menu(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    case = await triaged_case(kif, client, auth, units)
    listing = await kif.get("/sager")
    assert listing.status_code == 200
    assert "Afdelingens sager" in listing.text
    assert 'href="/sager"' in listing.text  # the menu's link
    assert f'href="/sager/{case["id"]}"' in listing.text
    assert 'href="/sager/ny"' not in listing.text.split('id="main-content"')[1]
