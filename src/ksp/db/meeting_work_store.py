"""The store for meeting management: a meeting's state, and the index rows of attendance,
outcomes, actions and action statuses beside their journal entries. Free text is sealed in
``*_ct`` columns, bound to its table, column and row, under the outcome's own data key
(``outcome:<id>``): an outcome's summary, its actions' descriptions and their statuses'
notes go together when its retention or its person's erasure destroys that key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.data_key_store import SqlDataKeyStore, outcome_owner
from ksp.db.tables import (
    action_statuses,
    actions,
    attendance_records,
    circulations,
    meetings,
    outcomes,
)
from ksp.domain.actions import ActionStatus, ActionView
from ksp.domain.meetings import Meeting
from ksp.services.ports import NewAction, OutcomeRow

__all__ = ["SqlMeetingWorkStore"]


class SqlMeetingWorkStore:
    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore) -> None:
        self._session = session
        self._keys = keys

    async def meeting_ids(self, kif_unit: str) -> list[str]:
        query = select(meetings.c.id).where(meetings.c.kif_unit == kif_unit)
        return list((await self._session.execute(query)).scalars())

    async def circulated(self, document_id: str, version: int) -> bool:
        query = select(circulations.c.id).where(
            circulations.c.document_id == document_id, circulations.c.version == version
        )
        return (await self._session.execute(query.limit(1))).first() is not None

    async def save_state(self, meeting: Meeting) -> None:
        """A meeting's mutable state (its history lies in the journal)."""
        await self._session.execute(
            update(meetings)
            .where(meetings.c.id == meeting.id)
            .values(
                status=meeting.status.value,
                location=meeting.location,
                sequence=meeting.sequence,
                held_on=meeting.held_on,
                scheduled_for=meeting.scheduled_for,
                title=meeting.title,
            )
        )

    async def latest_attendance(self, meeting_id: str) -> tuple[int, int] | None:
        """(number, journal seq) of the meeting's latest attendance record."""
        query = (
            select(attendance_records.c.number, attendance_records.c.journal_seq)
            .where(attendance_records.c.meeting_id == meeting_id)
            .order_by(attendance_records.c.number.desc())
            .limit(1)
        )
        row = (await self._session.execute(query)).first()
        return None if row is None else (int(row.number), int(row.journal_seq))

    async def add_attendance(
        self, meeting_id: str, number: int, journal_seq: int, at: dt.datetime, by_sub: str
    ) -> None:
        await self._session.execute(
            insert(attendance_records).values(
                meeting_id=meeting_id,
                number=number,
                journal_seq=journal_seq,
                created_at=at,
                created_by_sub=by_sub,
            )
        )

    async def add_outcome(self, row: OutcomeRow) -> None:
        await self._session.execute(
            insert(outcomes).values(
                id=row.id,
                meeting_id=row.meeting_id,
                case_id=row.case_id,
                decision=row.decision,
                summary_ct=await self._keys.encrypt_new(
                    outcome_owner(row.id), row.summary, context=f"outcomes.summary:{row.id}"
                ),
                corrects=row.corrects,
                exchange_id=row.exchange_id,
                journal_seq=row.journal_seq,
                created_at=row.created_at,
                created_by_sub=row.created_by_sub,
            )
        )

    def _open(self, blob: bytes, context: str) -> str:
        """A sealed text; an erased one (blanked by db/erasure_store.py) reads empty."""
        return self._keys.read(blob, context=context)

    async def current_outcomes(self, meeting_id: str) -> list[OutcomeRow]:
        """The meeting's outcomes that no later outcome corrects, in the order written."""
        corrected = select(outcomes.c.corrects).where(outcomes.c.corrects.is_not(None))
        query = (
            select(outcomes)
            .where(outcomes.c.meeting_id == meeting_id, outcomes.c.id.not_in(corrected))
            .order_by(outcomes.c.journal_seq)
        )
        found = []
        rows = list(await self._session.execute(query))
        await self._keys.load(r.summary_ct for r in rows)
        for row in rows:
            values = dict(row._mapping)
            summary = self._open(values.pop("summary_ct"), f"outcomes.summary:{values['id']}")
            found.append(OutcomeRow(summary=summary, **values))
        return found

    async def add_actions(self, new: Sequence[NewAction]) -> None:
        if not new:
            return
        sealed = [
            await self._keys.encrypt_for(
                outcome_owner(a.outcome_id), a.description, context=f"actions.description:{a.id}"
            )
            for a in new
        ]
        await self._session.execute(
            insert(actions),
            [
                {
                    "id": a.id,
                    "outcome_id": a.outcome_id,
                    "meeting_id": a.meeting_id,
                    "case_id": a.case_id,
                    "agency": a.agency,
                    "unit": a.unit,
                    "description_ct": description_ct,
                    "due_on": a.due_on,
                    "created_at": a.created_at,
                }
                for a, description_ct in zip(new, sealed, strict=True)
            ],
        )

    async def actions(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        unit: str | None = None,
        outcome_id: str | None = None,
        action_id: str | None = None,
    ) -> list[ActionView]:
        """Actions with their current status, by meeting, owning unit, outcome or id; one
        query for all of them."""
        latest = (
            select(action_statuses.c.action_id, func.max(action_statuses.c.number).label("n"))
            .group_by(action_statuses.c.action_id)
            .subquery()
        )
        status = action_statuses.alias("current_status")
        query = (
            select(actions, status.c.status, status.c.note_ct, status.c.number)
            .outerjoin(latest, latest.c.action_id == actions.c.id)
            .outerjoin(
                status, (status.c.action_id == actions.c.id) & (status.c.number == latest.c.n)
            )
            .order_by(actions.c.due_on, actions.c.id)
        )
        if meeting_ids is not None:
            query = query.where(actions.c.meeting_id.in_(list(meeting_ids)))
        if unit is not None:
            query = query.where(actions.c.unit == unit)
        if outcome_id is not None:
            query = query.where(actions.c.outcome_id == outcome_id)
        if action_id is not None:
            query = query.where(actions.c.id == action_id)
        rows = list(await self._session.execute(query))
        await self._keys.load(b for r in rows for b in (r.description_ct, r.note_ct))
        return [self._action(row._mapping) for row in rows]

    def _action(self, row: object) -> ActionView:
        values = dict(row)  # type: ignore[call-overload]
        note_ct, number = values["note_ct"], values["number"]
        note = None
        if note_ct is not None:
            note = self._keys.read(note_ct, context=f"action_statuses.note:{values['id']}/{number}")
        return ActionView(
            id=values["id"],
            meeting_id=values["meeting_id"],
            case_id=values["case_id"],
            outcome_id=values["outcome_id"],
            agency=values["agency"],
            unit=values["unit"],
            description=self._open(values["description_ct"], f"actions.description:{values['id']}"),
            due_on=values["due_on"],
            status=ActionStatus(values["status"] or ActionStatus.OPEN),
            note=note,
            status_number=number or 0,
        )

    async def add_status(
        self,
        action_id: str,
        number: int,
        status: ActionStatus,
        note: str | None,
        journal_seq: int,
        at: dt.datetime,
        by_sub: str,
    ) -> None:
        note_ct = None
        if note is not None:
            query = select(actions.c.outcome_id).where(actions.c.id == action_id)
            outcome_id = (await self._session.execute(query)).scalar_one()
            note_ct = await self._keys.encrypt_for(
                outcome_owner(outcome_id),
                note,
                context=f"action_statuses.note:{action_id}/{number}",
            )
        await self._session.execute(
            insert(action_statuses).values(
                action_id=action_id,
                number=number,
                status=status.value,
                note_ct=note_ct,
                journal_seq=journal_seq,
                created_at=at,
                created_by_sub=by_sub,
            )
        )
