"""The recipients' page registers a recipient for encrypted mail (OpenPGP key or S/MIME
certificate) or for a notice only, as ``POST /api/v1/recipients`` with ``delivery`` does
(README "Notice recipients"; CONTRACT.md issue 11), lists each one's delivery and format,
and shows a refusal next to its field and in the error summary, in Danish."""

from __future__ import annotations

import re

import httpx
from litestar import Litestar

from support.data import Units
from support.flows import Auth
from support.keys import LONG_AGO, KeyMaker
from support.smime_ca import session_ca
from support.web_session import Browser, signed_in


def recipient_form(units: Units, email: str, **fields: str) -> dict[str, str]:
    return {
        "name": "Kommunal deltager",
        "email": email,
        "agency": "municipality",
        "unit": units.participant,
        **fields,
    }


def row_of(page: str, email: str) -> str:
    """The recipients table's row of ``email``."""
    found = re.search(r"<tr>(?:(?!</tr>).)*?" + re.escape(email) + r".*?</tr>", page, re.DOTALL)
    assert found, email
    return found.group(0)


def refused_at(page: httpx.Response, field: str, message: str) -> None:
    """422, the message next to ``field`` and in the error summary linking to it."""
    assert page.status_code in {409, 422}, page.text
    error = re.search(rf'id="{field}-error">(.*?)</span>\s*$', page.text, re.MULTILINE)
    assert error, f"no error next to {field}"
    assert message in error.group(1)
    summary = page.text.split('id="error-summary"')[1].split("</ul>")[0]
    assert f'href="#{field}"' in summary
    assert message in summary


async def api_recipient(
    client: httpx.AsyncClient, auth: Auth, units: Units, email: str
) -> dict[str, object]:
    listed = await client.get("/api/v1/recipients", headers=auth("kif", units.kif))
    assert listed.status_code == 200
    (found,) = [r for r in listed.json()["items"] if r["email"] == email]
    return dict(found)


async def test_a_notice_recipient_is_registered_without_a_key_and_listed_with_its_delivery(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """README: `"delivery": "notice"` needs no key; the fingerprint is then empty."""
    kif = await signed_in(app, client, "kif", units.kif)
    email = f"notice-{units.participant}@example.dk"
    made = await kif.post("/modtagere", recipient_form(units, email, delivery="notice"))
    assert made.status_code == 303, made.text
    row = row_of((await kif.get("/modtagere")).text, email)
    assert "<td>Kun en besked uden personoplysninger</td>" in row
    assert "<td>Ingen nøgle</td>" in row
    assert "Får kun en underskrevet meddelelse med link" in row
    stored = await api_recipient(client, auth, units, email)
    assert (stored["delivery"], stored["fingerprint"]) == ("notice", "")


async def test_an_smime_and_an_openpgp_recipient_are_listed_with_their_format(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    smime_email, pgp_email = f"s-{units.participant}@politi.dk", f"p-{units.participant}@x.dk"
    certificate = session_ca().issue(smime_email).pem
    made = await kif.post(
        "/modtagere",
        recipient_form(units, smime_email, delivery="encrypted", openpgp_key=certificate),
    )
    assert made.status_code == 303, made.text
    key = keys.public(keys.make(f"P <{pgp_email}>", at=LONG_AGO))
    assert (
        await kif.post("/modtagere", recipient_form(units, pgp_email, openpgp_key=key))
    ).status_code == 303
    page = (await kif.get("/modtagere")).text
    assert "<td>S/MIME</td>" in row_of(page, smime_email)
    assert "<td>Krypteret mail med listen</td>" in row_of(page, smime_email)
    assert "<td>OpenPGP</td>" in row_of(page, pgp_email)
    stored = await api_recipient(client, auth, units, smime_email)
    assert (stored["delivery"], stored["format"]) == ("encrypted", "smime")


async def test_a_notice_recipient_with_a_key_has_it_checked_and_pinned(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units, keys: KeyMaker
) -> None:
    """A key given with `delivery: notice` is optional, not ignored: checked and pinned."""
    kif = await signed_in(app, client, "kif", units.kif)
    email = f"nk-{units.participant}@example.dk"
    fingerprint = keys.make(f"N <{email}>", at=LONG_AGO)
    form = recipient_form(units, email, delivery="notice", openpgp_key=keys.public(fingerprint))
    assert (await kif.post("/modtagere", form)).status_code == 303
    stored = await api_recipient(client, auth, units, email)
    assert (stored["delivery"], stored["fingerprint"]) == ("notice", fingerprint)
    bad = recipient_form(units, "x" + email, delivery="notice", openpgp_key="ikke en nøgle")
    refused_at(await kif.post("/modtagere", bad), "openpgp_key", "kan ikke bruges")


async def test_an_encrypted_recipient_without_a_key_is_refused_next_to_the_key_field(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    email = f"nokey-{units.participant}@example.dk"
    refused = await kif.post("/modtagere", recipient_form(units, email, delivery="encrypted"))
    assert refused.status_code == 422
    refused_at(refused, "openpgp_key", "Indsæt modtagerens OpenPGP-nøgle eller S/MIME-certifikat")
    assert f'value="{email}"' in refused.text  # what was typed is kept
    assert email not in (await kif.get("/modtagere")).text.split("<h2")[0]  # nothing stored


async def test_an_unknown_delivery_is_refused_and_the_choice_is_kept(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    refused = await kif.post("/modtagere", recipient_form(units, "d@example.dk", delivery="fax"))
    refused_at(refused, "delivery", "Feltet skal udfyldes.")
    kept = await kif.post("/modtagere", recipient_form(units, "", delivery="notice"))
    assert kept.status_code == 422
    assert re.search(r'value="notice" checked', kept.text)


async def test_a_second_registration_of_an_address_is_refused_at_the_email_field(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    kif: Browser = await signed_in(app, client, "kif", units.kif)
    email = f"twice-{units.participant}@example.dk"
    form = recipient_form(units, email, delivery="notice")
    assert (await kif.post("/modtagere", form)).status_code == 303
    twice = await kif.post("/modtagere", form)
    assert twice.status_code == 409
    refused_at(twice, "email", "Adressen er allerede oprettet som modtager i enheden.")
