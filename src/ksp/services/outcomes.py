"""Outcomes of the cases discussed at a meeting, the actions agreed and their statuses
(CONTRACT.md, "Meetings (issue 8)"). Guide 3.3.7: each outcome is an exchange of information
and opens the case's duties to tell the detainee and to note it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable

from ksp.domain.access import Principal, Role, owns_meeting
from ksp.domain.actions import ActionStatus, ActionView, check_status_change, is_overdue
from ksp.domain.circulation import Agency as ExchangeAgency
from ksp.domain.errors import NotFound
from ksp.domain.exchanges import Exchange
from ksp.domain.meeting_status import (
    ensure_not_cancelled,
)
from ksp.domain.meetings import Meeting
from ksp.domain.outcomes import OutcomeDraft, check_outcome
from ksp.domain.records import (
    ActionStatusRecord,
    OutcomeRecord,
    plain,
)
from ksp.services.exchanges import append_exchange
from ksp.services.meeting_journal import (
    COPENHAGEN,
    append_record,
    listed_case_ids,
    meeting_day,
    owned_meeting,
)
from ksp.services.ports import Clock, NewAction, OutcomeRow, UnitOfWork, UnitOfWorkFactory

__all__ = ["ActionFilter", "OutcomeService", "RecordedOutcome"]


@dataclasses.dataclass(frozen=True, slots=True)
class RecordedOutcome:
    id: str
    action_ids: tuple[str, ...]
    exchange_id: str


class ActionFilter:
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    ALL = "all"


class OutcomeService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id

    def today(self) -> dt.date:
        """Today in Denmark: the day by which actions fall due."""
        return self._clock.now().astimezone(COPENHAGEN).date()

    async def record_outcome(
        self, principal: Principal, meeting_id: str, draft: OutcomeDraft
    ) -> RecordedOutcome:
        """Guide 3.3.7: discussing a case at a KSP meeting is an exchange of information, so
        each outcome opens that case's duties to tell the detainee and to note it."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await owned_meeting(uow, principal, meeting_id)
            ensure_not_cancelled(meeting.status)
            current = await uow.meeting_work.current_outcomes(meeting_id)
            check_outcome(
                draft,
                meeting_day=meeting_day(meeting),
                listed_case_ids=await listed_case_ids(uow, meeting_id),
                current_outcome_by_case={o.case_id: o.id for o in current},
            )
            recorded = await self._write_outcome(uow, principal, meeting, draft, now)
            await uow.commit()
        return recorded

    async def _write_outcome(
        self,
        uow: UnitOfWork,
        principal: Principal,
        meeting: Meeting,
        draft: OutcomeDraft,
        now: dt.datetime,
    ) -> RecordedOutcome:
        outcome_id = self._new_id()
        exchange = await append_exchange(
            uow,
            principal,
            Exchange(
                id=self._new_id(),
                case_id=draft.case_id,
                occurred_on=min(meeting_day(meeting), now.date()),
                agencies=(ExchangeAgency.MUNICIPALITY, ExchangeAgency.POLICE),
                meeting_id=meeting.id,
                summary=draft.summary,
                created_at=now,
                created_by_sub=principal.sub,
            ),
            draft.case_id,
            now,
        )
        actions = tuple(
            NewAction(
                self._new_id(),
                outcome_id,
                meeting.id,
                draft.case_id,
                a.agency.value,
                a.unit,
                a.description,
                a.due_on,
                now,
            )
            for a in draft.actions
        )
        record = OutcomeRecord(
            recorded_by=principal.sub,
            recorded_at=now,
            id=outcome_id,
            meeting_id=meeting.id,
            case_id=draft.case_id,
            summary=draft.summary,
            decision=draft.decision.value,
            actions=tuple(plain(dataclasses.asdict(a)) for a in actions),
            exchange_id=exchange.id,
            corrects=draft.corrects,
        )
        seq = await append_record(uow, record, f"meeting/{meeting.id}/outcome/{outcome_id}")
        row = OutcomeRow(
            outcome_id,
            meeting.id,
            draft.case_id,
            draft.decision.value,
            draft.summary,
            draft.corrects,
            exchange.id,
            seq,
            now,
            principal.sub,
        )
        await uow.meeting_work.add_outcome(row)
        await uow.meeting_work.add_actions(actions)
        if draft.corrects is not None:
            await self._supersede_actions(uow, principal, draft.corrects, now)
        return RecordedOutcome(outcome_id, tuple(a.id for a in actions), exchange.id)

    async def _supersede_actions(
        self, uow: UnitOfWork, principal: Principal, outcome_id: str, now: dt.datetime
    ) -> None:
        """A corrected outcome's open actions are cancelled; the correction's replace them."""
        for action in await uow.meeting_work.actions(outcome_id=outcome_id):
            if action.status is ActionStatus.OPEN:
                await self._write_status(
                    uow, principal, action, ActionStatus.CANCELLED, "Erstattet af rettelse", now
                )

    async def outcomes(
        self, principal: Principal, meeting_id: str
    ) -> tuple[list[OutcomeRow], dict[str, list[ActionView]]]:
        """The current outcomes, and each outcome's actions (by outcome id)."""
        async with self._uow() as uow:
            await owned_meeting(uow, principal, meeting_id)
            found = await uow.meeting_work.current_outcomes(meeting_id)
            actions = await uow.meeting_work.actions(meeting_ids=[meeting_id])
        by_outcome: dict[str, list[ActionView]] = {}
        for item in actions:
            by_outcome.setdefault(item.outcome_id, []).append(item)
        return found, by_outcome

    async def actions(self, principal: Principal, status: str) -> list[ActionView]:
        """KiF: the actions of its meetings; a participant: the actions its unit owns."""
        today = self.today()
        async with self._uow() as uow:
            if principal.role is Role.KIF:
                meeting_ids = await uow.meeting_work.meeting_ids(principal.unit)
                found = await uow.meeting_work.actions(meeting_ids=meeting_ids)
            else:
                found = await uow.meeting_work.actions(unit=principal.unit)
        return [a for a in found if _matches(a, status, today)]

    async def change_action_status(
        self, principal: Principal, action_id: str, status: ActionStatus, note: str | None
    ) -> ActionView:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            found = await uow.meeting_work.actions(action_id=action_id)
            if not found or not await self._may_update(uow, principal, found[0]):
                raise NotFound
            check_status_change(found[0].status, status, note)
            updated = await self._write_status(uow, principal, found[0], status, note, now)
            await uow.commit()
        return updated

    @staticmethod
    async def _may_update(uow: UnitOfWork, principal: Principal, action: ActionView) -> bool:
        if principal.role is Role.PARTICIPANT:
            return principal.unit == action.unit
        meeting = await uow.meetings.get(action.meeting_id)
        return meeting is not None and owns_meeting(principal, meeting.kif_unit)

    @staticmethod
    async def _write_status(
        uow: UnitOfWork,
        principal: Principal,
        action: ActionView,
        status: ActionStatus,
        note: str | None,
        now: dt.datetime,
    ) -> ActionView:
        number = action.status_number + 1
        record = ActionStatusRecord(
            recorded_by=principal.sub,
            recorded_at=now,
            action_id=action.id,
            number=number,
            status=status.value,
            note=note,
        )
        seq = await append_record(uow, record, f"action/{action.id}/status/{number}")
        await uow.meeting_work.add_status(action.id, number, status, note, seq, now, principal.sub)
        return dataclasses.replace(action, status=status, note=note, status_number=number)


def _matches(action: ActionView, status: str, today: dt.date) -> bool:
    if status == ActionFilter.OPEN:
        return action.status is ActionStatus.OPEN
    if status == ActionFilter.OVERDUE:
        return is_overdue(action, today)
    if status == ActionFilter.DONE:
        return action.status is ActionStatus.DONE
    return True
