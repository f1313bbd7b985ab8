"""CONTRACT.md "Who may do what", as a matrix: every /api/v1 route × every role × own and
foreign unit. A role that may not act gets 403; a foreign unit's case is 404 (its existence
must not leak); no token is 401."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from support.data import Units, case_body

ROLES = ("arrest", "kif", "participant", "auditor")
RELATIONS = ("own", "foreign")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # "{case}" is replaced by a case submitted by units.arrest to units.kif

    @property
    def template(self) -> str:
        return "/api/v1" + self.path.replace("{case}", "{case_id:uuid}")


ROUTES = {
    "submit": Route("POST", "/cases"),
    "list": Route("GET", "/cases"),
    "read": Route("GET", "/cases/{case}"),
    "triage": Route("POST", "/cases/{case}/triage"),
    "access-log": Route("GET", "/audit/access-log"),
    "access-log-search": Route("POST", "/audit/access-log/search"),
}

# (route, role) -> (status for own unit, status for foreign unit)
EXPECTED: dict[tuple[str, str], tuple[int, int]] = {
    ("submit", "arrest"): (201, 201),
    ("submit", "kif"): (201, 201),
    ("submit", "participant"): (422, 422),  # needs a meeting it takes part in
    ("submit", "auditor"): (403, 403),
    ("list", "arrest"): (200, 200),
    ("list", "kif"): (200, 200),
    ("list", "participant"): (200, 200),
    ("list", "auditor"): (403, 403),
    ("read", "arrest"): (200, 404),
    ("read", "kif"): (200, 404),
    ("read", "participant"): (404, 404),
    ("read", "auditor"): (403, 403),
    ("triage", "arrest"): (403, 403),
    ("triage", "kif"): (200, 404),
    ("triage", "participant"): (403, 403),
    ("triage", "auditor"): (403, 403),
    ("access-log", "arrest"): (403, 403),
    ("access-log", "kif"): (403, 403),
    ("access-log", "participant"): (403, 403),
    ("access-log", "auditor"): (200, 200),
    ("access-log-search", "arrest"): (403, 403),
    ("access-log-search", "kif"): (403, 403),
    ("access-log-search", "participant"): (403, 403),
    ("access-log-search", "auditor"): (200, 200),
}


def unit_for(units: Units, role: str, relation: str) -> str:
    own = {
        "arrest": units.arrest,
        "kif": units.kif,
        "participant": units.participant,
        "auditor": units.auditor,
    }
    foreign = {
        "arrest": units.other_arrest,
        "kif": units.other_kif,
        "participant": "politi-" + units.participant,
        "auditor": "other-" + units.auditor,
    }
    return (own if relation == "own" else foreign)[role]


def payload(name: str, units: Units) -> dict[str, Any] | None:
    if name == "submit":
        return case_body(units.kif)
    if name == "triage":
        return {"decision": "meeting", "reason": "til møde"}
    if name == "access-log-search":
        return {"cpr": "010190-1234"}
    return None


def test_the_matrix_covers_every_api_route(app: Litestar) -> None:
    """Every route under /api/v1 is in the matrix, with every role."""
    served = {
        (method, route.path)
        for route in app.routes
        if route.path.startswith("/api/v1")
        for method in route.methods
        if method not in {"HEAD", "OPTIONS"}
    }
    assert served == {(r.method, r.template) for r in ROUTES.values()}
    assert set(EXPECTED) == {(name, role) for name in ROUTES for role in ROLES}


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ROUTES))
async def test_role_and_unit_matrix(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    name: str,
    role: str,
    relation: str,
) -> None:
    """CONTRACT.md: roles and unit scoping, enforced in one place."""
    created = await client.post(
        "/api/v1/cases", json=case_body(units.kif), headers=auth("arrest", units.arrest)
    )
    case_id = created.json()["id"]
    route = ROUTES[name]
    url = "/api/v1" + route.path.replace("{case}", case_id)
    headers = auth(role, unit_for(units, role, relation))
    response = await client.request(route.method, url, json=payload(name, units), headers=headers)
    assert response.status_code == EXPECTED[name, role][RELATIONS.index(relation)], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if name == "list" and response.status_code == 200:
        visible = {item["id"] for item in response.json()["items"]}
        may_see = relation == "own" and role in {"arrest", "kif"}
        assert (case_id in visible) is may_see


@pytest.mark.parametrize("name", list(ROUTES))
async def test_every_api_route_needs_a_token(
    client: httpx.AsyncClient, units: Units, name: str
) -> None:
    """CONTRACT.md: no token or a bad one is 401."""
    route = ROUTES[name]
    url = "/api/v1" + route.path.replace("{case}", "00000000-0000-4000-8000-000000000000")
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = await client.request(
            route.method, url, json=payload(name, units), headers=headers
        )
        assert response.status_code == 401
        assert response.json()["type"].endswith("/not-authenticated")
        assert response.headers["www-authenticate"] == "Bearer"
