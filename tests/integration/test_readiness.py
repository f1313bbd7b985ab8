"""Issue 7: /ready is 503 until the database is at the code's migration head (it was 200 on
a database that was never migrated, while every call answered 500)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import POSTGRES_URL, make_settings
from ksp.api.app import create_app
from ksp.db.engine import create_engine
from ksp.db.migrate import code_heads, upgrade
from ksp.db.url import async_database_url
from ksp.settings import Settings
from support.server import KSP, server_env


@dataclass(frozen=True)
class FreshDatabase:
    engine: AsyncEngine
    env: dict[str, str]  # for `ksp db upgrade` against it


@pytest.fixture
async def fresh(backend: str, tmp_path: Path) -> AsyncIterator[FreshDatabase]:
    """A database nobody migrated: a new SQLite file, or a new PostgreSQL schema."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        engine = create_engine(async_database_url(url))
        yield FreshDatabase(engine, server_env(tmp_path, url))
        await engine.dispose()
        return
    assert POSTGRES_URL is not None
    schema = f"ksp_fresh_{uuid.uuid4().hex[:12]}"
    admin = create_engine(async_database_url(POSTGRES_URL), pool_size=1, max_overflow=0)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(async_database_url(POSTGRES_URL), schema=schema)
    env = server_env(tmp_path, POSTGRES_URL) | {"KSP_DATABASE_SCHEMA": schema}
    yield FreshDatabase(engine, env)
    await engine.dispose()
    async with admin.begin() as connection:
        await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await admin.dispose()


async def ready_status(settings: Settings, engine: AsyncEngine) -> int:
    app = create_app(settings, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
        response = await client.get("/ready")
    if response.status_code == 503:
        assert response.json()["type"].endswith("/not-ready")
    return response.status_code


async def test_ready_is_503_on_an_unmigrated_database_and_200_after_ksp_db_upgrade(
    fresh: FreshDatabase, tmp_path: Path
) -> None:
    """A fresh database answers SELECT 1 but holds no tables: not ready until upgraded."""
    settings = make_settings(tmp_path)
    assert await ready_status(settings, fresh.engine) == 503
    upgraded = await anyio.run_process([KSP, "db", "upgrade"], env=fresh.env, check=False)
    assert upgraded.returncode == 0, upgraded.stderr
    assert await ready_status(settings, fresh.engine) == 200


async def test_ready_is_503_on_a_database_behind_the_codes_migrations(
    fresh: FreshDatabase, tmp_path: Path
) -> None:
    """A database at an older revision (an upgrade not yet run for this release): 503."""
    assert "0001" not in code_heads()
    await upgrade(fresh.engine, "0001")
    settings = make_settings(tmp_path)
    assert await ready_status(settings, fresh.engine) == 503
    await upgrade(fresh.engine)
    assert await ready_status(settings, fresh.engine) == 200
