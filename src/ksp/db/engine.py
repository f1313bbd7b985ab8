"""Engines: SQLite (foreign keys, WAL, busy timeout) and PostgreSQL (asyncpg, sized pool)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ksp.db.url import is_sqlite

__all__ = ["create_engine", "create_sessionmaker"]

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Statements and their parameters carry keyed CPR hashes, ciphertexts and addresses: no echo
# (it would add a handler of its own, past ksp.observability's filter), and no parameters in
# the text of a database error either.
_NEVER_LOG_STATEMENTS: dict[str, Any] = {"echo": False, "echo_pool": False, "hide_parameters": True}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we begin transactions ourselves (below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Erased fields and deleted rows are overwritten with zeros in the file, not left in its
    # free pages (issue 13); the WAL keeps earlier page images until its next checkpoint.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    """Every SQLite transaction takes the write lock at its start: reads inside it are then
    consistent with its writes, and two writers queue instead of failing at commit."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(
    url: str, *, pool_size: int = 20, max_overflow: int = 10, schema: str | None = None
) -> AsyncEngine:
    """An async engine for ``url`` (already normalised by ``ksp.db.url``).

    The pool sizes apply to PostgreSQL. There is no ping per checkout (it cost 13% of the
    submission rate): a connection that died is invalidated when it fails, that request
    fails cleanly, and the next gets a fresh connection.

    ``schema`` (PostgreSQL only) sets the search path, which the tests use to give every
    run a schema of its own.
    """
    if is_sqlite(url):
        # SQLite has one writer at a time. With many connections, writers sleep in SQLite's
        # busy handler (p99 over a second, measured by `make bench`); one connection makes
        # them queue in asyncio instead, which is faster and fair.
        engine = create_async_engine(
            url, pool_size=1, max_overflow=0, pool_timeout=60, **_NEVER_LOG_STATEMENTS
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    connect_args: dict[str, Any] = {}
    if schema is not None:
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        connect_args=connect_args,
        **_NEVER_LOG_STATEMENTS,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
