"""RetentionService through the fakes of its ports: what is due is erased in batches (one
erasure entry each, naming entries and rows and the rule, no personal data), every erased
entry's and case's data key destroyed through the DataKeyEraser port, and a second run
finds nothing."""

from __future__ import annotations

import datetime as dt
import json

import anyio

from ksp.domain.retention import RecordKind, RetentionPolicy
from ksp.services.retention import RETENTION_AUTHOR, RetentionReport, RetentionService
from unit.fakes import FakeUnitOfWorkFactory, FixedClock, LoggedRead
from unit.fakes.uow import NOW

DAY = dt.timedelta(days=1)
POLICY = RetentionPolicy(
    {RecordKind.LIST_VERSION: 365, RecordKind.CASE: 30, RecordKind.ACCESS_LOG: 90}
)


def world() -> FakeUnitOfWorkFactory:
    uow = FakeUnitOfWorkFactory()
    state = uow.world.state
    old, recent = NOW - 400 * DAY, NOW - 10 * DAY
    state.dated_versions += [("list", seq, f"d1/{seq}", old) for seq in (1, 2, 3)] + [
        ("list", 4, "d2/1", recent),
        ("minutes", 5, "d1-minutes/1", old),
    ]
    state.dated_rows += [("cases", "c-old", NOW - 31 * DAY, ()), ("cases", "c-new", recent, ())]
    state.access_log += [
        LoggedRead(NOW - days * DAY, "sub", "kif", "kif-x", "case", "c", (), "case-handling")
        for days in (91, 92, 5)
    ]
    return uow


async def test_what_is_due_is_erased_in_batches_and_its_data_keys_destroyed() -> None:
    """Issue 13: list versions 12 months after the meeting (minutes not named: kept), cases
    after their period, access-log lines by their date; recent ones are kept."""
    uow = world()
    report = await RetentionService(uow, FixedClock(), POLICY, batch=2).run()
    state = uow.world.state
    assert report.erased == {"list_version": 3, "case": 1, "access_log": 2}
    assert set(state.erased_entries) == {1, 2, 3}
    assert {"journal:1", "journal:2", "journal:3", "cases:c-old"} <= state.destroyed_keys
    assert {f"document_versions:d1/{n}" for n in (1, 2, 3)} <= state.destroyed_keys
    assert "cases:c-new" not in state.destroyed_keys
    assert not {k for k in state.destroyed_keys if k.startswith(("journal:4", "journal:5"))}
    assert state.erased_rows >= {("cases", "c-old")}
    assert ("cases", "c-new") not in state.erased_rows
    assert [r.at for r in state.access_log] == [NOW - 5 * DAY]
    # batches of 2: versions 1-2, then 3; one case; one batch of access-log lines
    erasures = [row for row in state.journal if row.kind == "erasure"]
    assert len(erasures) == len(report.erasure_entries) == 4
    first = json.loads(erasures[0].plaintext)
    assert first["format"] == "ksp-erasure/1"
    assert first["rule"] == "retention:list_version:365d"
    assert first["entries"] == [1, 2]
    assert first["records"] == [
        {"table": "document_versions", "id": "d1/1"},
        {"table": "document_versions", "id": "d1/2"},
    ]
    assert first["recorded_by"] == RETENTION_AUTHOR
    assert {e.ref for e in erasures} == {
        "retention:list_version:365d",
        "retention:case:30d",
        "retention:access_log:90d",
    }
    assert state.erased_entries[1] == erasures[0].seq  # marked by the entry that erased it


async def test_a_second_run_erases_nothing() -> None:
    """`ksp retention run` is idempotent: what was erased is not due again."""
    uow = world()
    service = RetentionService(uow, FixedClock(), POLICY, batch=2)
    await service.run()
    journal = len(uow.world.state.journal)
    again = await service.run()
    assert again.erasure_entries == []
    assert sum(again.erased.values()) == 0
    assert len(uow.world.state.journal) == journal


async def test_without_a_policy_nothing_is_erased() -> None:
    uow = world()
    report = await RetentionService(uow, FixedClock(), RetentionPolicy()).run()
    assert report.erased == {}
    assert uow.world.state.destroyed_keys == set()
    assert uow.world.commits == 0


async def test_the_worker_applies_the_policy_every_interval_and_outlives_a_failed_run() -> None:
    """The worker's loop: a failed run (the database away, say) is logged by its type and
    tried again at the next turn; the next run erases what is due."""
    uow = world()
    service = RetentionService(uow, FixedClock(), POLICY, batch=2)
    runs = 0
    real_run = service.run

    async def first_fails() -> RetentionReport:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise ConnectionError
        return await real_run()

    service.run = first_fails  # type: ignore[method-assign]
    with anyio.move_on_after(0.3):  # the loop runs until cancelled
        await service.run_every(0.01)
    assert runs >= 2
    assert set(uow.world.state.erased_entries) == {1, 2, 3}
