"""CONTRACT.md (issue 7): every 400 for a body or query names the field or parameter in
``errors[]``: missing, unknown, wrong type, value not in the allowed set, bad date, too long.
Unknown query parameters: 400."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.data import Units, case_body

CPR = "010190-1234"
NAME = "Hemmelig Testperson"


def _mistakes(good: dict[str, Any]) -> dict[str, tuple[dict[str, Any], str, str]]:
    """Each common mistake: the body, the field it must name, the phrase it must use."""
    return {
        "missing field": (
            {k: v for k, v in good.items() if k != "custody"},
            "custody",
            "is required",
        ),
        "unknown field": ({**good, "religion": "x"}, "religion", "is not allowed"),
        "unknown nested field": (
            {**good, "subject": {**good["subject"], "address": "Vej 1"}},
            "subject.address",
            "is not allowed",
        ),
        "wrong enum value": (
            {**good, "custody": NAME},
            "custody",
            "is not one of the allowed values",
        ),
        "date written 01-03-2026": (
            {**good, "detained_since": "01-03-2026"},
            "detained_since",
            "is not a date (YYYY-MM-DD)",
        ),
        "too long a name": (
            {**good, "subject": {"name": "x" * 201, "cpr": CPR}},
            "subject.name",
            "is too long",
        ),
        "wrong type": (
            {**good, "municipality_code": "101"},
            "municipality_code",
            "has the wrong type",
        ),
    }


@pytest.mark.parametrize("mistake", list(_mistakes(case_body("kif-x"))))
async def test_a_400_for_a_body_names_the_field_and_the_kind_of_mistake(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    mistake: str,
) -> None:
    """Every 400 for a body names the field in errors[], never echoing the value."""
    good = case_body(units.kif, subject={"name": NAME, "cpr": CPR})
    body, field, phrase = _mistakes(good)[mistake]
    response = await client.post("/api/v1/cases", json=body, headers=auth("arrest", units.arrest))
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert {"field": field, "message": phrase} in problem["errors"]
    assert NAME not in response.text
    assert CPR not in response.text


async def test_an_unknown_query_parameter_is_a_400_that_names_it(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """`?from=` on a list that has no such filter is refused, not silently ignored."""
    response = await client.get(
        "/api/v1/cases", params={"from": "2026-01-01"}, headers=auth("kif", units.kif)
    )
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert problem["errors"] == [{"field": "from", "message": "is not allowed"}]


async def test_an_unknown_query_parameter_that_could_hold_data_is_not_echoed(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """A parameter name shaped like data (a CPR) is refused without being repeated."""
    response = await client.get("/api/v1/cases", params={CPR: "1"}, headers=auth("kif", units.kif))
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "query", "message": "is not allowed"}]
    assert CPR not in response.text


async def test_a_bad_query_value_names_the_parameter(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """`?limit=abc` names `limit`."""
    response = await client.get(
        "/api/v1/cases", params={"limit": "abc"}, headers=auth("kif", units.kif)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "limit", "message": "has the wrong type"}]


async def test_declared_query_parameters_still_work(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """The guard lets through every parameter a handler declares."""
    response = await client.get(
        "/api/v1/cases",
        params={"status": "submitted", "limit": "10", "offset": "0"},
        headers=auth("kif", units.kif),
    )
    assert response.status_code == 200, response.text
