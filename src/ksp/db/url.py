"""Database URLs: accept what operators write, pick the async driver ourselves."""

from __future__ import annotations

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["DatabaseUrlError", "async_database_url", "is_sqlite"]

_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}


class DatabaseUrlError(ValueError):
    """The URL is not a SQLite or PostgreSQL URL."""


def async_database_url(raw: str) -> str:
    """``postgresql://u@h:5432/db`` → ``postgresql+asyncpg://…``; ``sqlite:///f`` → aiosqlite."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseUrlError("is not a database URL") from None
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        raise DatabaseUrlError("must be a sqlite:/// or postgresql:// URL")
    if driver.startswith("sqlite") and not url.database:
        raise DatabaseUrlError("SQLite needs a file path (sqlite:///path/to/file)")
    return url.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"
