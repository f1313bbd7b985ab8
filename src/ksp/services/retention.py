"""Erasing what is no longer needed: by the retention policy (``ksp retention run``, the
worker) and for one person on a recorded decision (kif asks, an auditor countersigns).

Erasing a journal entry destroys its data key: the entry stays (the chain and the Merkle
tree hash its ciphertext), but nothing can open it any more. Rows are erased in place (their
personal fields) and their data keys destroyed. Each erasure appends one journal entry of
kind ``erasure`` that names what was erased by sequence number and row id, the rule or the
decision, and when: never a name, a CPR number or a text. One batch is one transaction, so a
run killed halfway leaves every batch either done or not begun, and a run again finds only
what is still due (idempotent).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from dataclasses import dataclass, field

import anyio
import structlog

from ksp.domain.access import Principal
from ksp.domain.cpr import InvalidCpr, parse_cpr
from ksp.domain.errors import (
    ErasureAlreadyDecided,
    FieldError,
    InvalidInput,
    NotFound,
    SecondPersonRequired,
)
from ksp.domain.records import ErasureRecord
from ksp.domain.retention import RecordKind, RetentionPolicy
from ksp.services.meeting_journal import append_record
from ksp.services.ports import Clock, ErasureRequest, Footprint, UnitOfWork, UnitOfWorkFactory

__all__ = ["ErasureOutcome", "ErasureService", "RetentionReport", "RetentionService", "erase"]

log = structlog.get_logger("ksp.retention")

BATCH = 500
"""Entries or rows erased per transaction (and per erasure entry)."""

MAX_REASON_CHARS = 2_000

RETENTION_AUTHOR = "ksp-retention"
"""The author of erasure entries the retention policy makes (no person decided them)."""

# The rows each record kind erases, counted from their creation (versions: ``due_versions``).
_ROW_KINDS = {
    RecordKind.EXCHANGE: "exchanges",
    RecordKind.OUTCOME: "outcomes",
    RecordKind.CASE: "cases",
    RecordKind.INQUIRY: "inquiries",
}
_VERSION_KINDS = {RecordKind.LIST_VERSION: "list", RecordKind.MINUTES_VERSION: "minutes"}


@dataclass
class RetentionReport:
    """How much one run erased, per record kind (entries and rows), and the erasure entries."""

    erased: dict[str, int] = field(default_factory=dict)
    erasure_entries: list[int] = field(default_factory=list)


async def erase(
    uow: UnitOfWork,
    found: Footprint,
    *,
    rule: str,
    by: str,
    at: dt.datetime,
    decision_id: str | None = None,
) -> int:
    """Erase ``found`` in ``uow``'s transaction (the caller commits): one ``erasure`` entry,
    the entries marked erased and their keys destroyed, the rows' fields erased. Its seq."""
    await uow.journal.lock()
    record = ErasureRecord(
        recorded_by=by,
        recorded_at=at,
        rule=rule,
        entries=found.entries,
        records=tuple({"table": table, "id": row_id} for table, row_id in found.rows),
        decision_id=decision_id,
    )
    seq = await append_record(uow, record, ref=decision_id or rule)
    await uow.erasure.mark_erased(found.entries, seq, at)
    for entry in found.entries:
        await uow.key_eraser.destroy_for_entry(entry, at)
    await uow.erasure.erase_rows(found.rows, at)
    for table, row_id in found.rows:
        await uow.key_eraser.destroy_for_row(table, row_id, at)
    return seq


class RetentionService:
    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, policy: RetentionPolicy, *, batch: int = BATCH
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._batch = batch

    async def run(self) -> RetentionReport:
        """Erase everything due now, batch by batch, kind by kind."""
        report = RetentionReport()
        now = self._clock.now()
        for kind in RecordKind:
            cutoff = self._policy.cutoff(kind, now)
            if cutoff is None:
                continue
            while await self._batch_of(kind, cutoff, now, report) == self._batch:
                pass
        return report

    async def run_every(self, seconds: float) -> None:
        """The worker's loop: a run now, then one every ``seconds``; a failed run is logged
        (by type only) and tried again at the next turn."""
        while True:
            try:
                report = await self.run()
                if report.erasure_entries:
                    log.info("retention_run", erased=report.erased)
            except Exception as exc:  # noqa: BLE001 - the loop outlives one bad turn
                log.warning("retention_run_failed", error=type(exc).__name__)
            await anyio.sleep(seconds)

    async def _batch_of(
        self, kind: RecordKind, cutoff: dt.datetime, now: dt.datetime, report: RetentionReport
    ) -> int:
        """One transaction: up to a batch of what is due of ``kind``; how many it erased."""
        rule = f"retention:{self._policy.rule(kind)}"
        async with self._uow() as uow:
            if kind is RecordKind.ACCESS_LOG:
                count = await uow.erasure.delete_access_log(cutoff, self._batch)
                if count:
                    lines = f"{count} lines before {cutoff.isoformat()}"
                    found = Footprint(rows=(("access_log", lines),))
                    report.erasure_entries.append(
                        await erase(uow, found, rule=rule, by=RETENTION_AUTHOR, at=now)
                    )
            else:
                if kind in _VERSION_KINDS:
                    found = await uow.erasure.due_versions(
                        _VERSION_KINDS[kind], cutoff, self._batch
                    )
                else:
                    found = await uow.erasure.due_rows(_ROW_KINDS[kind], cutoff, self._batch)
                count = len(found.rows) or len(found.entries)
                if count:
                    report.erasure_entries.append(
                        await erase(uow, found, rule=rule, by=RETENTION_AUTHOR, at=now)
                    )
            await uow.commit()
        report.erased[kind.value] = report.erased.get(kind.value, 0) + count
        return count


@dataclass(frozen=True, slots=True)
class ErasureOutcome:
    request: ErasureRequest
    entries: int = 0
    rows: int = 0


class ErasureService:
    """One person's erasure on a recorded decision: a KiF caseworker asks (with the reason,
    for the person's data in the KiF unit's cases and inquiries); an auditor, another
    person, countersigns, and only then is it carried out."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def request(self, principal: Principal, cpr: str, reason: str) -> ErasureRequest:
        now = self._clock.now()
        problems = []
        try:
            subject = parse_cpr(cpr, today=now.date())
        except InvalidCpr as exc:
            problems.append(FieldError("cpr", str(exc)))
        if not reason.strip():
            problems.append(FieldError("reason", "must not be empty"))
        elif len(reason) > MAX_REASON_CHARS:
            problems.append(FieldError("reason", f"at most {MAX_REASON_CHARS} characters"))
        if problems:
            raise InvalidInput(problems)
        request = ErasureRequest(
            id=str(uuid.uuid4()),
            kif_unit=principal.unit,
            reason=reason,
            requested_at=now,
            requested_by_sub=principal.sub,
        )
        async with self._uow() as uow:
            cpr_hash = await uow.erasure.add_request(request, subject)
            if not (await uow.erasure.of_person(cpr_hash, principal.unit)).rows:
                raise NotFound  # nothing of the person's in this unit: nothing to decide
            await uow.access_log.record(
                principal,
                resource="erasure-request",
                resource_id=request.id,
                subjects=[subject],
                at=now,
            )
            await uow.commit()
        return request

    async def countersign(self, principal: Principal, request_id: str) -> ErasureOutcome:
        """Carry out the request: the person's cases, inquiries, exchanges and the list and
        minutes versions that name them are erased; the access log no longer links to the
        person (its lines stay, without the subject)."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()  # one countersignature at a time
            found = await uow.erasure.request(request_id)
            if found is None:
                raise NotFound
            request, cpr_hash = found
            if request.countersigned_at is not None or cpr_hash is None:
                raise ErasureAlreadyDecided
            if principal.sub == request.requested_by_sub:
                raise SecondPersonRequired
            footprint = await uow.erasure.of_person(cpr_hash, request.kif_unit)
            seq = await erase(
                uow, footprint, rule="decision", by=principal.sub, at=now, decision_id=request.id
            )
            await uow.erasure.forget_subject(cpr_hash)
            done = dataclasses.replace(
                request, countersigned_at=now, countersigned_by_sub=principal.sub, erasure_seq=seq
            )
            if not await uow.erasure.countersign(done):
                raise ErasureAlreadyDecided
            await uow.commit()
        return ErasureOutcome(done, len(footprint.entries), len(footprint.rows))
