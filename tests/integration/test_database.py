"""The database adapter: migrations match the tables, SQLite runs with its safety pragmas."""

from __future__ import annotations

from importlib import resources
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from litestar import Litestar
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.migrate import upgrade
from ksp.db.tables import metadata
from support.data import Units, case_body
from support.flows import Auth


def head_revision() -> str | None:
    location = str(resources.files("ksp.db") / "migrations")
    return ScriptDirectory(location).get_current_head()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d
        for d in compare_metadata(context, metadata)
        if d[0] != "remove_table" or d[1].name != "alembic_version"
    ]


async def test_the_migrations_build_exactly_the_tables_the_code_uses(engine: AsyncEngine) -> None:
    """Alembic's autogenerate finds nothing to add or change after `ksp db upgrade`."""
    async with engine.connect() as connection:
        assert await connection.run_sync(_diff) == []


async def test_upgrading_twice_is_harmless(engine: AsyncEngine) -> None:
    """`ksp db upgrade` may run at every deployment."""
    await upgrade(engine)
    async with engine.connect() as connection:
        version = await connection.execute(text("SELECT version_num FROM alembic_version"))
        assert version.scalar_one() == head_revision()


async def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(engine: AsyncEngine) -> None:
    """Issue 2: SQLite with foreign keys on, WAL and a busy timeout."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    async with engine.connect() as connection:
        pragmas = [
            (await connection.execute(text(f"PRAGMA {name}"))).scalar_one()
            for name in ("foreign_keys", "journal_mode", "busy_timeout")
        ]
    assert pragmas == [1, "wal", 10_000]


async def test_cases_are_fetched_by_id_in_chunks_and_missing_ids_left_out(
    client: httpx.AsyncClient, app: Litestar, auth: Auth, units: Units
) -> None:
    """The batch read behind a list change (one query per chunk of ids, not one per case):
    every existing case once, whatever the chunk size, duplicates and unknown ids ignored."""
    arrest = auth("arrest", units.arrest)
    names = {}
    for _ in range(5):
        body = case_body(units.kif)
        made = await client.post("/api/v1/cases", json=body, headers=arrest)
        names[made.json()["id"]] = body["subject"]["name"]
    wanted = list(names)
    unknown = "00000000-0000-4000-8000-000000000000"
    for per_query in (1, 2, 500):
        async with app.state.uow() as uow:
            found = await uow.cases.get_many([*wanted, wanted[0], unknown], per_query=per_query)
        assert sorted(found) == sorted(wanted)
        assert {c.id: c.name for c in found.values()} == names
