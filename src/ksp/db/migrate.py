"""Apply the Alembic migrations shipped in ``ksp/db/migrations`` (``ksp db upgrade``)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

__all__ = ["at_code_head", "code_heads", "upgrade"]


def _scripts() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("ksp.db") / "migrations"))
    return config


def _config(connection: Connection, service_role: str | None) -> Config:
    config = _scripts()
    config.attributes["connection"] = connection
    config.attributes["service_role"] = service_role
    return config


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, service_role: str | None = None
) -> None:
    """Bring the database to ``revision`` in one transaction.

    ``service_role`` (PostgreSQL) is the role the service runs as; the journal's tables
    grant it only SELECT and INSERT.
    """
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(_config(sync, service_role), revision)
        )


def code_heads() -> frozenset[str]:
    """The head revisions of the migration scripts this code ships (read from the scripts,
    so a new migration moves it)."""
    return frozenset(ScriptDirectory.from_config(_scripts()).get_heads())


async def at_code_head(connection: AsyncConnection, heads: frozenset[str]) -> bool:
    """Whether the database's ``alembic_version`` is exactly ``heads`` (an unmigrated
    database has none)."""

    def current(sync: Connection) -> frozenset[str]:
        return frozenset(MigrationContext.configure(sync).get_current_heads())

    return await connection.run_sync(current) == heads
