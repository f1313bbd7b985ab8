"""POST /acting-municipality over HTTP (guide 3.2.1): facts in, the acting municipalities and
the § 9 provision applied to each out."""

from __future__ import annotations

import httpx

from support.data import Units
from support.flows import Auth


async def test_a_lost_home_splits_the_acting_municipality_guide_3_2_1(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """Guide 3.2.1: § 9 stk. 3 for social services, § 9 stk. 1 (the jail's) for other help;
    each municipality with its code and its name."""
    response = await client.post(
        "/api/v1/acting-municipality",
        headers=auth("arrest", units.arrest),
        json={"kept_home": False, "previous_municipality_code": 461, "jail_municipality_code": 101},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "social_services_municipality_code": 461,
        "social_services_municipality_name": "Odense",
        "other_help_municipality_code": 101,
        "other_help_municipality_name": "København",
        "rule": {
            "social_services": "retssikkerhedsloven § 9, stk. 3",
            "other_help": "retssikkerhedsloven § 9, stk. 1",
        },
    }


async def test_married_without_a_common_home_municipality_is_a_422(
    client: httpx.AsyncClient, auth: Auth, units: Units
) -> None:
    """The common home's municipality is required with married_living_together."""
    response = await client.post(
        "/api/v1/acting-municipality",
        headers=auth("kif", units.kif),
        json={
            "kept_home": True,
            "previous_municipality_code": 461,
            "jail_municipality_code": 101,
            "married_living_together": True,
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "common_home_municipality_code",
            "message": "is required when married and living together",
        }
    ]
