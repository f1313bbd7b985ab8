"""The rollback guard the journal store consults before each append (issue 12)."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from ksp.domain.errors import JournalRolledBack
from ksp.services.witnessing import RollbackGuard


def test_a_witness_that_cosigned_more_than_the_database_holds_stops_every_append() -> None:
    guard = RollbackGuard()
    guard.saw(7)
    guard.check(7)  # as large as the witness saw: appending goes on
    guard.check(9)
    with capture_logs() as logs, pytest.raises(JournalRolledBack):
        guard.check(5)  # a restored older copy
    with pytest.raises(JournalRolledBack):
        guard.check(100)  # and it stays stopped, whatever comes next
    (alarm,) = [entry for entry in logs if entry["event"] == "journal.rolled_back"]
    assert alarm["log_level"] == "critical"
    assert alarm["alarm"] is True
    assert set(alarm) == {"event", "log_level", "alarm", "reason", "witnessed"}


def test_an_inconsistent_answer_halts_at_once() -> None:
    guard = RollbackGuard()
    guard.halt("a witness refused our consistency proof", old=4, size=6)
    assert guard.halted == "a witness refused our consistency proof"
    with pytest.raises(JournalRolledBack):
        guard.check(6)
