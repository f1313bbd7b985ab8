"""Logs never carry SQL statements or their parameters (CONTRACT.md, issue 7 finding 2):
KSP_LOG_LEVEL=DEBUG turns on our own debug events, never the libraries' output, which
would carry SQL parameters and OpenPGP user IDs."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from ksp.db.engine import create_engine
from ksp.observability import configure_logging

DATA_LIBRARIES = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool", "gnupg")


@pytest.fixture(params=["DEBUG", "INFO"])
def captured(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[io.StringIO]:
    """Logging configured at the level under test, its output captured."""
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    configure_logging(request.param)
    yield out
    monkeypatch.undo()
    configure_logging("INFO")


def test_at_debug_the_libraries_that_see_data_stay_at_warning(captured: io.StringIO) -> None:
    """Whatever KSP_LOG_LEVEL says, statements with their parameters and key user IDs stay
    out of the log: these loggers answer only from WARNING."""
    assert logging.getLogger("ksp.api").isEnabledFor(logging.INFO)
    for name in DATA_LIBRARIES:
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
        assert logging.getLogger(name).isEnabledFor(logging.WARNING), name
    assert captured.getvalue() == ""


def test_a_library_logger_lowered_again_still_writes_no_sql(captured: io.StringIO) -> None:
    """Should anything set sqlalchemy.engine back to INFO, our handler still drops its
    records below WARNING; a warning of its own gets through."""
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    engine_log.setLevel(logging.INFO)
    try:
        engine_log.info("SELECT cases.id FROM cases WHERE cases.cpr_hash = ?")
        engine_log.warning("pool overflow")
    finally:
        engine_log.setLevel(logging.NOTSET)
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["pool overflow"]


async def test_the_engine_never_echoes_and_hides_parameters_in_errors(tmp_path: Path) -> None:
    """No engine of ours has echo on, and a database error's text holds no parameters."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        assert engine.sync_engine.echo is False
        assert engine.sync_engine.pool.echo is False
        async with engine.connect() as connection:
            with pytest.raises(OperationalError) as failed:
                await connection.execute(
                    text("SELECT * FROM nowhere WHERE x = :v"), {"v": "p@x.dk"}
                )
        assert "p@x.dk" not in str(failed.value)
    finally:
        await engine.dispose()
    postgres = create_engine("postgresql+asyncpg://ksp@127.0.0.1:1/ksp")
    assert (postgres.sync_engine.echo, postgres.sync_engine.hide_parameters) == (False, True)
    await postgres.dispose()
