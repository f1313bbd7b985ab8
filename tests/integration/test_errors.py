"""CONTRACT.md "Errors": every error is problem+json; malformed input is 4xx, never 500,
stores nothing and echoes no personal data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
from collections.abc import Callable

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.api.app import create_app
from ksp.db.tables import cases
from ksp.settings import Settings
from support.data import Units, case_body

CPR = "010190-1234"
NAME = "Hemmelig Testperson"


def bodies(kif_unit: str) -> dict[str, bytes]:
    good = case_body(kif_unit, subject={"name": NAME, "cpr": CPR})
    return {
        "malformed json": json.dumps(good).encode()[:-5],
        "not an object": b'["' + CPR.encode() + b'"]',
        "wrong type": json.dumps({**good, "municipality_code": "101"}).encode(),
        "cpr as number": json.dumps({**good, "subject": {"name": NAME, "cpr": 101901234}}).encode(),
        "unknown field": json.dumps({**good, "religion": "x"}).encode(),
        "unknown nested field": json.dumps(
            {**good, "subject": {"name": NAME, "cpr": CPR, "address": "Vej 1"}}
        ).encode(),
        "missing field": json.dumps({k: v for k, v in good.items() if k != "custody"}).encode(),
        "bad enum": json.dumps({**good, "custody": CPR}).encode(),
        "bad date": json.dumps({**good, "detained_since": CPR}).encode(),
        "empty": b"",
        "not utf-8": b"\xff\xfe" + json.dumps(good).encode(),
    }


async def stored(engine: AsyncEngine, unit: str) -> int:
    async with engine.connect() as connection:
        query = select(func.count()).where(cases.c.submitted_by_unit == unit)
        return int((await connection.execute(query)).scalar_one())


@pytest.mark.parametrize("kind", list(bodies("kif-x")))
async def test_malformed_bodies_are_4xx_problems_that_store_and_echo_nothing(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
    kind: str,
) -> None:
    """Malformed JSON, wrong types, unknown fields: 4xx, never 500, nothing stored."""
    headers = {**auth("arrest", units.arrest), "Content-Type": "application/json"}
    response = await client.post("/api/v1/cases", content=bodies(units.kif)[kind], headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys()
    assert problem["status"] == response.status_code
    for secret in (CPR, CPR.replace("-", ""), NAME, "Vej 1", "101901234"):
        assert secret not in response.text
    assert await stored(engine, units.arrest) == 0


async def test_a_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    auth: Callable[..., dict[str, str]],
    units: Units,
) -> None:
    """Bodies over KSP_MAX_BODY_BYTES are refused before they are parsed."""
    payload = case_body(units.kif, concern="x" * 70_000)
    response = await client.post(
        "/api/v1/cases", json=payload, headers=auth("arrest", units.arrest)
    )
    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")
    assert await stored(engine, units.arrest) == 0


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """A token past its expiry (beyond the leeway) is 401."""
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    response = await client.get("/api/v1/cases", headers=auth("kif", units.kif, now=old))
    assert response.status_code == 401


async def test_unknown_paths_and_methods_are_problems(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """404 and 405 are problem details too."""
    headers = auth("kif", units.kif)
    missing = await client.get("/api/v1/nothing-here", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    wrong = await client.delete("/api/v1/cases", headers=headers)
    assert wrong.status_code == 405
    assert wrong.json()["type"].endswith("/method-not-allowed")


async def test_a_case_id_that_is_not_a_uuid_is_404(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """Path ids are UUIDs; anything else names no case."""
    response = await client.get("/api/v1/cases/not-a-uuid", headers=auth("kif", units.kif))
    assert response.status_code == 404


async def test_bad_query_parameters_are_400(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units
) -> None:
    """Out-of-range paging and unknown statuses are 400 problems."""
    headers = auth("kif", units.kif)
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"status": "open"}):
        response = await client.get("/api/v1/cases", params=params, headers=headers)
        assert response.status_code == 400, params
        assert response.json()["type"].endswith("/validation")


async def test_an_identity_provider_that_cannot_be_reached_is_503_not_401(
    settings: Settings, engine: AsyncEngine
) -> None:
    """The JWKS URL down: 503 `…/token-keys-unavailable` with Retry-After, so that a client
    retries instead of sending its user to sign in again."""
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    down = dataclasses.replace(settings, jwks=f"http://127.0.0.1:{port}/jwks.json")
    app = create_app(down, engine=engine)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(dt.datetime.now(dt.UTC).timestamp())
    token = jwt.encode(
        {"sub": "u", "role": "kif", "unit": "kif-x", "iat": now, "exp": now + 600},
        key,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
            response = await client.get(
                "/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        app.state.mail.close()
    assert response.status_code == 503
    assert response.json()["type"].endswith("/token-keys-unavailable")
    assert response.headers["retry-after"] == "1"
