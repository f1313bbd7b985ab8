"""SQL as an intruder with direct database access: the immutability guards switched off."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


async def intruder_sql(
    engine: AsyncEngine,
    sqlite_path: Path | None,
    guarded: Sequence[str],
    statement: str,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """Run ``statement`` with the guards of the ``guarded`` tables dropped (SQLite, at
    ``sqlite_path``) or disabled (PostgreSQL, through ``engine``)."""
    if sqlite_path is not None:
        with sqlite3.connect(sqlite_path) as connection:
            connection.execute("PRAGMA foreign_keys=OFF")
            for table in guarded:
                for guard in ("no_update", "no_delete", "no_replace"):
                    connection.execute(f"DROP TRIGGER IF EXISTS {table}_{guard}")
            return connection.execute(statement, params or {}).fetchall()
    async with engine.begin() as connection:
        for table in guarded:
            await connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER ALL"))
        result = await connection.execute(text(statement), params or {})
        return list(result.fetchall()) if result.returns_rows else []
