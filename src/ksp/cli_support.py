"""Parts of the ``ksp`` command line: subcommands with their descriptions, and the guard
that turns a database fault into one line and exit 1 instead of a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from ksp.db.url import is_sqlite
from ksp.domain.errors import StorageUnavailable

if TYPE_CHECKING:
    from ksp.settings import Settings

__all__ = ["Run", "command", "group", "with_database"]

Run = Callable[[Any, argparse.Namespace], int]
_CANNOT_USE = "ksp: the database (KSP_DATABASE_URL) cannot be used: "


def command(
    commands: Any, name: str, text: str, run: Run | None = None, **defaults: Any
) -> argparse.ArgumentParser:
    """A subcommand whose one-line ``text`` is both its entry in the list and its --help."""
    parser: argparse.ArgumentParser = commands.add_parser(name, help=text, description=text)
    if run is not None:
        parser.set_defaults(run=run, **defaults)
    return parser


def group(commands: Any, name: str, text: str) -> Any:
    return command(commands, name, text).add_subparsers(
        dest=f"{name}_command", required=True, metavar="COMMAND"
    )


def _database_fault(exc: BaseException) -> str | None:
    """What to say when a command cannot use the database (None: not a database fault).
    Connection faults name the driver's reason; others only their type (a statement's
    error could quote a value)."""
    if isinstance(exc, OperationalError):
        return f"{type(exc.orig).__name__}: {exc.orig}"
    if isinstance(exc, DBAPIError | StorageUnavailable):
        return type(exc).__name__
    if isinstance(exc, OSError):  # asyncpg's refused or unreachable connection
        return f"{type(exc).__name__}: {exc.strerror or 'unreachable'}"
    return None


def _missing_sqlite_dir(url: str) -> Path | None:
    database = make_url(url).database if is_sqlite(url) else None
    if not database or database == ":memory:":
        return None
    directory = Path(database).parent
    return None if directory.is_dir() else directory


def with_database(run: Run) -> Run:
    """A command that uses the database: a fault there is one line and exit 1."""

    def guarded(settings: Settings, args: argparse.Namespace) -> int:
        missing = _missing_sqlite_dir(settings.database_url)
        if missing is not None:  # checked first: aiosqlite's thread outlives a failed open
            sys.stderr.write(
                f"{_CANNOT_USE}OperationalError: unable to open database file "
                f"(no directory {missing})\n"
            )
            return 1
        try:
            return run(settings, args)
        except Exception as exc:
            reason = _database_fault(exc)
            if reason is None:
                raise
            sys.stderr.write(f"{_CANNOT_USE}{reason}\n")
            return 1

    return guarded
