"""The database adapter: migrations match the tables, SQLite runs with its safety pragmas."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.migrate import upgrade
from ksp.db.tables import metadata


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
