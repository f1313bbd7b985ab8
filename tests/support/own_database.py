"""A database of a test's own, for tests that break it or migrate it step by step."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from ksp.db.engine import create_engine
from ksp.db.url import async_database_url


@asynccontextmanager
async def own_database(backend: str, sqlite_path: Path, prefix: str) -> AsyncIterator[AsyncEngine]:
    """An empty, unmigrated database: a SQLite file at ``sqlite_path``, or a fresh
    PostgreSQL schema named ``prefix`` + a random tag (dropped afterwards)."""
    if backend == "sqlite":
        engine = create_engine(async_database_url(f"sqlite:///{sqlite_path}"))
        yield engine
        await engine.dispose()
        return
    url = os.environ["KSP_TEST_DATABASE_URL"]
    schema = f"{prefix}{uuid.uuid4().hex[:12]}"
    engine = create_engine(async_database_url(url), schema=schema)
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield engine
    finally:
        async with engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()
