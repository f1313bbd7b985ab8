"""Which database errors are "unavailable" (503, retry) and which are faults (500), with
real errors from the real drivers: a busy SQLite, a connection PostgreSQL stopped, a
PostgreSQL that refuses connections, against a bad statement or a division by zero."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings
from ksp.api.app import create_app
from ksp.db.uow import _is_unavailable
from ksp.domain.access import Role
from ksp.tokens import issue_token
from support.data import Units, case_body
from support.server import free_port


async def _error_of(engine: AsyncEngine, statement: str) -> BaseException:
    with pytest.raises(sa_exc.DBAPIError) as raised:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    return raised.value


async def test_a_fault_of_the_statement_is_not_unavailability(engine: AsyncEngine) -> None:
    """A missing table or a division by zero is a bug to see (500), not a moment to wait."""
    assert not _is_unavailable(await _error_of(engine, "SELECT * FROM no_such_table"))
    if engine.dialect.name == "postgresql":
        assert not _is_unavailable(await _error_of(engine, "SELECT 1 / 0"))


async def test_a_connection_the_server_stopped_is_unavailability(
    engine: AsyncEngine, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("PostgreSQL stops connections; SQLite has none")
    assert _is_unavailable(await _error_of(engine, "SELECT pg_terminate_backend(pg_backend_pid())"))


def test_sqlite_still_locked_after_its_busy_timeout_is_unavailability(tmp_path: Path) -> None:
    """SQLITE_BUSY: another process holds the write lock longer than we wait."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (v INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_sync_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(sa_exc.OperationalError) as raised, engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
        assert _is_unavailable(raised.value)
        with pytest.raises(sa_exc.OperationalError) as bad, engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES ("))
        assert not _is_unavailable(bad.value)  # a syntax error is an OperationalError too
    finally:
        engine.dispose()
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_postgresql_that_refuses_connections_gives_503_not_500(
    tmp_path: Path, units: Units
) -> None:
    """Nothing listens at the database's address (down, or failing over): every request
    is a clean 503 with Retry-After, never a 500."""
    settings = make_settings(tmp_path, f"postgresql://ksp@127.0.0.1:{free_port()}/ksp")
    token = issue_token(
        settings.token_secret,
        sub="jail",
        role=Role.ARREST,
        unit=units.arrest,
        now=dt.datetime.now(dt.UTC),
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://ksp") as client:
        for _ in range(2):
            refused = await client.post(
                "/api/v1/cases",
                json=case_body(units.kif),
                headers={"Authorization": f"Bearer {token}"},
            )
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] == "1"
            assert refused.json()["type"].endswith("/storage-unavailable")
