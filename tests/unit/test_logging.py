"""KSP_LOG_LEVEL=DEBUG turns on our own debug events, never the libraries' debug output,
which would carry SQL parameters and OpenPGP user IDs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ksp.observability import configure_logging


@pytest.fixture
def debug_logging() -> Iterator[None]:
    configure_logging("DEBUG")
    yield
    configure_logging("INFO")


@pytest.mark.usefixtures("debug_logging")
def test_debug_level_leaves_the_libraries_that_see_data_at_info() -> None:
    """Statements with their parameters and key user IDs stay out of the log."""
    assert logging.getLogger("ksp.api").isEnabledFor(logging.DEBUG)
    for name in ("aiosqlite", "asyncpg", "sqlalchemy.engine", "gnupg"):
        assert not logging.getLogger(name).isEnabledFor(logging.DEBUG), name
        assert logging.getLogger(name).isEnabledFor(logging.INFO), name
