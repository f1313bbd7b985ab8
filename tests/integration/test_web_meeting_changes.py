"""Moving, correcting and cancelling a meeting from its page, as ``PATCH
/api/v1/meetings/{id}`` and ``POST /api/v1/meetings/{id}/cancel`` do: a planned meeting moves,
never into the past, and its invitation's SEQUENCE is raised; a held one keeps its time; a
cancelled one takes no change (409 meeting-cancelled); each refusal in Danish next to its
field and in the error summary."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
from litestar import Litestar

from integration.test_web_meeting_pages import MEETING_FORM, location_id
from integration.test_web_recipient_delivery import refused_at
from support.data import Units
from support.flows import Auth
from support.web_session import Browser, other_roles, signed_in, with_forged_csrf

MOVE = {"date": "2026-12-11", "time": "09:00", "location": "Lokale 2", "reason": "Ny dato"}


async def new_meeting(kif: Browser) -> str:
    return location_id(await kif.post("/moeder", MEETING_FORM), "/moeder/")


def at(meeting: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(str(meeting["scheduled_for"]))


async def api_meeting(
    client: httpx.AsyncClient, auth: Auth, units: Units, meeting: str
) -> dict[str, Any]:
    found = await client.get(f"/api/v1/meetings/{meeting}", headers=auth("kif", units.kif))
    assert found.status_code == 200
    return dict(found.json())


async def test_a_planned_meeting_moves_and_its_invitation_sequence_is_raised(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting = await new_meeting(kif)
    form = (await kif.get(f"/moeder/{meeting}")).text
    assert 'id="date" name="date" value="2026-12-10"' in form  # as it stands, Danish time
    assert 'value="10:00"' in form
    moved = await kif.post(f"/moeder/{meeting}/flyt", MOVE)
    assert moved.status_code == 303, moved.text
    assert moved.headers["location"] == f"/moeder/{meeting}?gemt=flyttet"
    page = (await kif.get(moved.headers["location"])).text
    assert "Ændringen af mødet er gemt." in page
    assert "fredag 11. december 2026 kl. 09.00" in page
    assert "<dd>Lokale 2</dd>" in page
    assert "Invitationens udgave (SEQUENCE): 1." in page
    stored = await api_meeting(client, auth, units, meeting)
    assert (at(stored), stored["location"], stored["sequence"]) == (
        dt.datetime(2026, 12, 11, 8, tzinfo=dt.UTC),
        "Lokale 2",
        1,
    )
    invitation = await client.get(
        f"/api/v1/meetings/{meeting}/invitation.ics", headers=auth("kif", units.kif)
    )
    assert "SEQUENCE:1" in invitation.text


async def test_only_the_place_changed_keeps_the_sequence(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting = await new_meeting(kif)
    same_time = {**MOVE, "date": "2026-12-10", "time": "10:00", "location": "Rådhuset"}
    assert (await kif.post(f"/moeder/{meeting}/flyt", same_time)).status_code == 303
    stored = await api_meeting(client, auth, units, meeting)
    assert (stored["location"], stored["sequence"]) == ("Rådhuset", 0)
    unchanged = await kif.post(f"/moeder/{meeting}/flyt", same_time | {"reason": "Igen"})
    refused_at(unchanged, "date", "intet er ændret endnu")


async def test_a_meeting_is_never_moved_into_the_past_and_a_move_needs_a_reason(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting = await new_meeting(kif)
    past = await kif.post(f"/moeder/{meeting}/flyt", {**MOVE, "date": "2026-11-26"})
    assert past.status_code == 422
    refused_at(past, "date", "Tidspunktet må ikke ligge i fortiden.")
    assert 'value="2026-11-26"' in past.text  # what was typed is kept
    unexplained = await kif.post(f"/moeder/{meeting}/flyt", {**MOVE, "reason": " "})
    refused_at(unexplained, "reason", "Skriv mellem 1 og 2000 tegn.")
    untimed = await kif.post(f"/moeder/{meeting}/flyt", {**MOVE, "time": "kl. 9"})
    refused_at(untimed, "time", "Skriv et klokkeslæt")
    two_lines = await kif.post(f"/moeder/{meeting}/flyt", {**MOVE, "location": "A\nB"})
    refused_at(two_lines, "location", "én linje")
    stored = await api_meeting(client, auth, units, meeting)
    assert (stored["location"], stored["sequence"]) == (None, 0)  # nothing was changed


async def test_a_held_meeting_keeps_its_time_and_its_place_may_be_corrected(
    app: Litestar, client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting = await new_meeting(kif)
    attendee = {"rows": "1", "name_0": "Mødeleder Hansen", "agency_0": "kf", "unit_0": units.kif}
    attendee |= {"role_0": "chair", "present_0": "ja", "confidentiality_0": "ja"}
    assert (await kif.post(f"/moeder/{meeting}/fremmoede", attendee)).status_code == 303
    page = (await kif.get(f"/moeder/{meeting}")).text
    assert "Ret mødets sted" in page
    assert 'name="date"' not in page  # no time fields for a held meeting
    corrected = await kif.post(f"/moeder/{meeting}/flyt", MOVE)  # its date is not read
    assert corrected.status_code == 303, corrected.text
    stored = await api_meeting(client, auth, units, meeting)
    assert (at(stored), stored["location"]) == (
        dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC),
        "Lokale 2",
    )


async def test_a_cancelled_meeting_refuses_a_move_and_a_second_cancellation_in_danish(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    kif = await signed_in(app, client, "kif", units.kif)
    meeting = await new_meeting(kif)
    unexplained = await kif.post(f"/moeder/{meeting}/aflys", {"reason": ""})
    refused_at(unexplained, "cancel-reason", "Skriv mellem 1 og 2000 tegn.")
    assert 'id="date-error"' not in unexplained.text  # the error stands by its own form
    cancelled = await kif.post(f"/moeder/{meeting}/aflys", {"reason": "Kommunen kan ikke"})
    assert cancelled.headers["location"] == f"/moeder/{meeting}?gemt=aflyst"
    page = (await kif.get(cancelled.headers["location"])).text
    assert "Mødet er aflyst." in page
    assert "Invitationens udgave (SEQUENCE): 1." in page  # the CANCEL raised it
    assert f'action="/moeder/{meeting}/flyt"' not in page
    moved = await kif.post(f"/moeder/{meeting}/flyt", MOVE)
    assert moved.status_code == 409
    assert "Mødet er aflyst og kan ikke ændres." in moved.text
    again = await kif.post(f"/moeder/{meeting}/aflys", {"reason": "Igen"})
    assert again.status_code == 409
    assert "Mødets status tillader ikke dette" in again.text


async def test_moving_or_cancelling_is_kifs_own_meetings_only(
    app: Litestar, client: httpx.AsyncClient, units: Units
) -> None:
    """As the API: another role 403, another KiF unit's meeting 404, no CSRF token 403."""
    meeting = await new_meeting(await signed_in(app, client, "kif", units.kif))
    foreign = await signed_in(app, client, "kif", units.other_kif)
    for action, form in (("flyt", MOVE), ("aflys", {"reason": "Nej"})):
        assert (await foreign.post(f"/moeder/{meeting}/{action}", form)).status_code == 404
        for role, unit in other_roles(units):
            other = await signed_in(app, client, role, unit, f"{unit}@example.dk")
            refused = await other.post(f"/moeder/{meeting}/{action}", form)
            assert refused.status_code == 403, (role, action)
            assert "Din rolle giver ikke adgang" in refused.text
        own = await signed_in(app, client, "kif", units.kif)
        forged = with_forged_csrf(own)
        assert (await forged.post(f"/moeder/{meeting}/{action}", form)).status_code == 403
    kif = await signed_in(app, client, "kif", units.kif)
    page = (await kif.get(f"/moeder/{meeting}")).text
    assert re.search(r"SEQUENCE\): 0\.", page)  # nothing was changed by any of them
