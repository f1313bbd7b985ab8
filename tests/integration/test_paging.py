"""Paging is one dependency (``limit`` 1..200, default 50; ``offset`` 0..1,000,000) and one
response shape on every paged route; the access log keeps its own, wider bounds."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from support.data import Units

# (path, role of a reader allowed to list it)
PAGED = {
    "cases": ("/api/v1/cases", "kif"),
    "meetings": ("/api/v1/meetings", "kif"),
    "inquiries": ("/api/v1/inquiries", "arrest"),
    "exchanges": ("/api/v1/exchanges", "arrest"),
}


async def _list(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    route: str,
    params: dict[str, object],
) -> httpx.Response:
    path, role = PAGED[route]
    unit = {"kif": units.kif, "arrest": units.arrest}[role]
    return await client.get(path, params=params, headers=auth(role, unit))


@pytest.mark.parametrize("route", PAGED)
async def test_every_paged_route_answers_one_page_shape_with_its_limit_and_offset(
    route: str, client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """``?limit=10&offset=5`` is read by the page dependency and echoed in the page."""
    response = await _list(client, auth, units, route, {"limit": 10, "offset": 5})
    assert response.status_code == 200
    page = response.json()
    assert set(page) == {"items", "limit", "offset", "next_offset"}
    assert (page["limit"], page["offset"], page["next_offset"]) == (10, 5, None)


@pytest.mark.parametrize("route", PAGED)
async def test_every_paged_route_still_refuses_an_unknown_query_parameter(
    route: str, client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """The paging parameters come from a dependency, yet ``?from=`` is still a 400."""
    response = await _list(client, auth, units, route, {"limit": 10, "from": "x"})
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "from", "message": "is not allowed"}]


@pytest.mark.parametrize("route", PAGED)
@pytest.mark.parametrize(("name", "value"), [("limit", 0), ("limit", 201), ("offset", -1)])
async def test_paging_bounds_are_enforced_on_every_paged_route(
    route: str,
    name: str,
    value: int,
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
) -> None:
    """A limit outside 1..200 or a negative offset is a 400 naming the parameter."""
    response = await _list(client, auth, units, route, {name: value})
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert [e["field"] for e in problem["errors"]] == [name]


async def test_the_access_log_keeps_its_own_paging_bounds(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """The access log pages by 100 up to 500 (an auditor reads more at once); 501 is a 400."""
    headers = auth("auditor", units.auditor)
    answers = [
        await client.get("/api/v1/audit/access-log", params=params, headers=headers)
        for params in ({}, {"limit": 500}, {"limit": 501})
    ]
    assert [a.status_code for a in answers] == [200, 200, 400]
    assert answers[0].json()["limit"] == 100
