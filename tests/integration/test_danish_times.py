"""Meeting times on Danish time: in the KSP document in words, in the API on +01:00/+02:00."""

from __future__ import annotations

import datetime as dt

import httpx
import jwt
import pytest

from ksp.domain.access import Role
from ksp.settings import Settings
from ksp.tokens import issue_token
from support.data import Units
from support.flows import Auth, case_for_meeting, new_meeting

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


def named(settings: Settings, unit: str, *, sub: str, name: object) -> dict[str, str]:
    """KiF headers whose token carries a ``name`` claim (as an identity provider's would)."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": sub,
        "role": Role.KIF.value,
        "unit": unit,
        "name": name,
        "iat": int(now.timestamp()),
        "exp": int((now + dt.timedelta(hours=1)).timestamp()),
    }
    return {"Authorization": f"Bearer {jwt.encode(claims, settings.token_secret, 'HS256')}"}


async def html_of_first_version(
    client: httpx.AsyncClient, auth: Auth, units: Units, meeting: str, kif: dict[str, str]
) -> str:
    case_id = await case_for_meeting(client, auth, units)
    made = await client.post(
        f"/api/v1/meetings/{meeting}/list",
        json={"add": [case_id], "reason": "Første udgave"},
        headers=kif,
    )
    assert made.status_code == 201, made.text
    page = await client.get(
        f"/api/v1/documents/{made.json()['document_id']}/versions/1",
        headers={**kif, "Accept": "text/html"},
    )
    assert page.status_code == 200, page.text
    return page.text


@pytest.mark.parametrize(
    ("scheduled_for", "shown"),
    [
        ("2026-12-10T09:00:00Z", "torsdag 10. december 2026 kl. 10.00"),
        ("2027-06-10T10:00:00+02:00", "torsdag 10. juni 2027 kl. 10.00"),
    ],
)
async def test_the_document_shows_the_meeting_on_danish_time_in_words(
    client: httpx.AsyncClient, auth: Auth, units: Units, scheduled_for: str, shown: str
) -> None:
    """Winter and summer alike: the Copenhagen wall-clock time, never an ISO timestamp."""
    meeting = await new_meeting(client, auth, units, scheduled_for=scheduled_for)
    html = await html_of_first_version(client, auth, units, meeting, auth("kif", units.kif))
    assert f"<dt>Møde</dt><dd>{shown}</dd>" in html
    assert "T09:00:00" not in html
    assert "T10:00:00" not in html


async def test_the_version_line_names_the_author_and_the_danish_time(
    client: httpx.AsyncClient, settings: Settings, auth: Auth, units: Units
) -> None:
    """The token's `name` claim and the time on the clock in Copenhagen; no login id, no
    microseconds (the test clock stands at 10:00 UTC, 11.00 in Copenhagen)."""
    meeting = await new_meeting(client, auth, units)
    kif = named(settings, units.kif, sub="login-4711", name="Mette Sørensen")
    html = await html_of_first_version(client, auth, units, meeting, kif)
    assert "oprettet fredag 27. november 2026 kl. 11.00 af Mette Sørensen" in html
    assert "login-4711" not in html
    assert "+00:00" not in html


async def test_without_a_name_claim_the_document_names_the_unit_not_the_login(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """A token without `name` makes the document show the KiF unit."""
    meeting = await new_meeting(client, auth, units)
    kif = auth("kif", units.kif, sub="login-0815")
    html = await html_of_first_version(client, auth, units, meeting, kif)
    assert f"kl. 11.00 af {units.kif}</dd>" in html
    assert "login-0815" not in html


@pytest.mark.parametrize("name", ["", "x" * 201, ["Mette"], "Mette\u202eSørensen", "Mette\x00"])
async def test_a_name_claim_that_is_no_printable_name_is_not_authenticated(
    client: httpx.AsyncClient, settings: Settings, units: Units, name: object
) -> None:
    """Empty, too long, not a string, or with a bidi override or a control character: 401."""
    headers = named(settings, units.kif, sub="login-1", name=name)
    response = await client.get("/api/v1/meetings", headers=headers)
    assert response.status_code == 401
    assert response.json()["type"] == PROBLEMS + "not-authenticated"


@pytest.mark.parametrize(
    ("given", "answered"),
    [
        ("2026-12-10T09:00:00Z", "2026-12-10T10:00:00+01:00"),
        ("2026-12-10T14:00:00+05:00", "2026-12-10T10:00:00+01:00"),
        ("2027-06-10T10:00:00+02:00", "2027-06-10T10:00:00+02:00"),
        ("2027-06-10T08:00:00+00:00", "2027-06-10T10:00:00+02:00"),
    ],
)
async def test_meeting_times_are_answered_on_copenhagen_time_everywhere(
    client: httpx.AsyncClient, auth: Auth, units: Units, given: str, answered: str
) -> None:
    """Creating, reading and listing answer the same instant with Copenhagen's offset."""
    kif = auth("kif", units.kif)
    meeting = {"municipality_code": 101, "police_district": "koebenhavn", "title": "Møde"}
    created = await client.post(
        "/api/v1/meetings", json={**meeting, "scheduled_for": given}, headers=kif
    )
    assert created.status_code == 201, created.text
    meeting_id = created.json()["id"]
    read = await client.get(f"/api/v1/meetings/{meeting_id}", headers=kif)
    listed = await client.get("/api/v1/meetings", headers=kif)
    assert created.json()["scheduled_for"] == answered
    assert read.json()["scheduled_for"] == answered
    listed_times = [m["scheduled_for"] for m in listed.json()["items"] if m["id"] == meeting_id]
    assert listed_times == [answered]


def test_a_token_may_carry_the_persons_name() -> None:
    """`issue_token(name=...)` puts the claim an identity provider would send."""
    token = issue_token(
        b"k" * 32, sub="s", role=Role.KIF, unit="kif-x", name="Mette", now=dt.datetime.now(dt.UTC)
    )
    assert jwt.decode(token, b"k" * 32, algorithms=["HS256"])["name"] == "Mette"
