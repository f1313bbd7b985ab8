"""Finding 11: bidi controls and zero-width characters are refused wherever a person's
text enters (cases, meetings, recipients, exchanges, inquiries, list reasons), 422 naming
the field; and a meeting title never names a person."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.data import Units, case_body
from support.flows import Auth, new_meeting

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
HIDDEN = {
    "RLO": "\u202e",
    "LRI": "\u2066",
    "RLM": "\u200f",
    "ALM": "\u061c",
    "ZWSP": "\u200b",
    "ZWJ": "\u200d",
    "WJ": "\u2060",
    "BOM": "\ufeff",
}
MEETING = {
    "municipality_code": 101,
    "police_district": "koebenhavn",
    "scheduled_for": "2026-12-10T10:00:00+01:00",
    "title": "KSP-møde",
}
Body = Callable[[str, Units], dict[str, Any]]


def _case(field: str) -> Body:
    def body(text: str, units: Units) -> dict[str, Any]:
        if field == "subject.name":
            return case_body(units.kif, subject={"name": f"Jens{text}", "cpr": "010190-1234"})
        return case_body(units.kif, concern=f"Bekymring {text}")

    return body


# (role, path template, body, the field named in the answer)
ENTRIES: dict[str, tuple[str, str, Body, str]] = {
    "case name": ("arrest", "/api/v1/cases", _case("subject.name"), "subject.name"),
    "case concern": ("arrest", "/api/v1/cases", _case("concern"), "concern"),
    "triage reason": (
        "kif",
        "/api/v1/cases/{id}/triage",
        lambda t, _u: {"decision": "rejected", "reason": f"Nej{t}"},
        "reason",
    ),
    "meeting title": (
        "kif",
        "/api/v1/meetings",
        lambda t, _u: {**MEETING, "title": f"KSP{t}-møde"},
        "title",
    ),
    "list reason": (
        "kif",
        "/api/v1/meetings/{meeting}/list",
        lambda t, _u: {"reason": f"Opdateret{t}"},
        "reason",
    ),
    "recipient name": (
        "kif",
        "/api/v1/recipients",
        lambda t, u: {
            "name": f"Rita{t} Ravn",
            "email": "rita@kommune.dk",
            "agency": "municipality",
            "unit": u.participant,
            "openpgp_key": "-----BEGIN PGP PUBLIC KEY BLOCK-----",
        },
        "name",
    ),
    "exchange summary": (
        "arrest",
        "/api/v1/cases/{id}/exchanges",
        lambda t, _u: {"occurred_on": "2026-11-20", "agencies": ["kf"], "summary": f"Møde{t}"},
        "summary",
    ),
    "notification manager": (
        "arrest",
        "/api/v1/exchanges/{id}/notification",
        lambda t, _u: {
            "told": False,
            "reason": "Beskyttelse",
            "manager": f"Leder{t} A",
            "discussed_on": "2026-11-21",
        },
        "manager",
    ),
    "note reason": (
        "arrest",
        "/api/v1/exchanges/{id}/note",
        lambda t, _u: {"where": "none", "reason": f"Ikke{t} relevant"},
        "reason",
    ),
    "inquiry justification": (
        "kif",
        "/api/v1/inquiries/{id}/decision",
        lambda t, _u: {"eligible": False, "justification": f"Ny{t} viden"},
        "justification",
    ),
}


@pytest.mark.parametrize("char", HIDDEN.values(), ids=HIDDEN.keys())
@pytest.mark.parametrize("entry", ENTRIES.keys())
async def test_hidden_characters_are_refused_wherever_a_persons_text_enters(
    client: httpx.AsyncClient, auth: Auth, units: Units, entry: str, char: str
) -> None:
    """Finding 11: text that reads differently from what it holds is a 422 naming the field."""
    role, template, body, field = ENTRIES[entry]
    unit = units.arrest if role == "arrest" else units.kif
    meeting = await new_meeting(client, auth, units) if "{meeting}" in template else ""
    path = template.format(id=uuid.uuid4(), meeting=meeting)
    response = await client.post(path, json=body(char, units), headers=auth(role, unit))
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_the_same_texts_without_hidden_characters_are_taken(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """The check refuses hidden characters, not Danish text: a name, a concern, a title."""
    created = await client.post(
        "/api/v1/cases",
        json=_case("subject.name")("Søren", units),
        headers=auth("arrest", units.arrest),
    )
    assert created.status_code == 201, created.text
    assert await new_meeting(client, auth, units, title="KSP-møde Århus")


@pytest.mark.parametrize("title", ["Møde om 010190-1234", "0101901234", "Møde 010190 1234"])
async def test_a_meeting_title_with_a_cpr_number_is_refused_titles_must_not_name_a_person(
    client: httpx.AsyncClient, auth: Auth, units: Units, title: str
) -> None:
    """Titles are stored unencrypted by design: a CPR-shaped string in one is a 422."""
    response = await client.post(
        "/api/v1/meetings", json={**MEETING, "title": title}, headers=auth("kif", units.kif)
    )
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "title"
    assert "must not name a person" in error["message"]
    assert "1234" not in response.text
