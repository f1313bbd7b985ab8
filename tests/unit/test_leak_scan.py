"""The end-of-run database scan (conftest.assert_no_plaintext) can fail: it finds a leak."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import assert_no_plaintext
from support.data import SUBMITTED_PERSONAL_DATA, case_body


def test_the_scan_finds_a_name_written_in_plaintext(tmp_path: Path) -> None:
    """A name stored as plain text in a SQLite file is reported."""
    name = case_body("kif-x")["subject"]["name"]
    assert name in SUBMITTED_PERSONAL_DATA
    database = tmp_path / "leak.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE t (v TEXT)")
        connection.execute("INSERT INTO t VALUES (?)", (name,))
    with pytest.raises(AssertionError, match="1 personal data values"):
        assert_no_plaintext(database)
