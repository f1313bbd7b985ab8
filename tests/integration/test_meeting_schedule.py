"""A meeting is planned ahead: one in 2020, or more than two years away, is a typing error."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from support.clock import FixedClock
from support.data import Units
from support.flows import Auth

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"


async def _schedule(client: httpx.AsyncClient, auth: Auth, units: Units, at: str) -> httpx.Response:
    return await client.post(
        "/api/v1/meetings",
        json={
            "municipality_code": 101,
            "police_district": "koebenhavn",
            "scheduled_for": at,
            "title": "KSP-møde",
        },
        headers=auth("kif", units.kif),
    )


@pytest.mark.parametrize(
    ("at", "taken"),
    [
        ("2020-12-10T10:00:00+01:00", False),  # 2020 for 2026
        ("2026-11-26T09:59:00+00:00", False),  # a day and a minute before the clock
        ("2026-11-26T11:00:00+00:00", True),  # yesterday: entered after the fact
        ("2026-12-10T10:00:00+01:00", True),
        ("2028-11-27T09:59:00+00:00", True),
        ("2028-11-27T10:01:00+00:00", False),  # two years and a minute ahead
        ("9999-12-31T23:30:00-05:00", False),
    ],
)
async def test_a_meeting_more_than_a_day_back_or_two_years_ahead_is_refused(
    client: httpx.AsyncClient, auth: Auth, units: Units, clock: FixedClock, at: str, taken: bool
) -> None:
    """Issue 7: "a meeting in 2020 … accepted" — now 422 naming ``scheduled_for``; from a
    day back to two years ahead of the service's clock is taken."""
    response = await _schedule(client, auth, units, at)
    if taken:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "validation"
    assert [e["field"] for e in response.json()["errors"]] == ["scheduled_for"]


async def test_the_window_follows_the_services_clock(
    client: httpx.AsyncClient, auth: Auth, units: Units, clock: FixedClock
) -> None:
    """The clock is injected: the same date is refused once the clock has passed it."""
    assert (await _schedule(client, auth, units, "2026-12-10T10:00:00+01:00")).status_code == 201
    clock.set(dt.datetime(2026, 12, 20, tzinfo=dt.UTC))
    late = await _schedule(client, auth, units, "2026-12-10T10:00:00+01:00")
    assert late.status_code == 422
    assert late.json()["errors"][0]["field"] == "scheduled_for"
