"""Apply the Alembic migrations shipped in ``ksp/db/migrations`` (``ksp db upgrade``)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["upgrade"]


def _config(connection: Connection, service_role: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("ksp.db") / "migrations"))
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
