"""Use cases of the meeting secretariat (CONTRACT.md, "Meetings (issue 8)"; guide 3.3.7:
KiF calls the meetings, holds them and presents the cases).

Every change is a typed journal entry (``ksp.domain.records``) beside its index row, written
under the journal lock in one unit of work; a correction is a new entry that points at what
it corrects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from ksp.domain.access import Principal, Role, case_scope, owns_meeting
from ksp.domain.actions import ActionStatus, ActionView, check_status_change, is_overdue
from ksp.domain.attendance import Attendee, check_attendance
from ksp.domain.circulation import Agency as ExchangeAgency
from ksp.domain.documents import entries_of
from ksp.domain.errors import NotFound
from ksp.domain.exchanges import Exchange
from ksp.domain.invitation import InvitationFacts
from ksp.domain.meeting_status import (
    MeetingStatus,
    Reschedule,
    check_cancellable,
    check_reschedule,
    ensure_not_cancelled,
    status_after_attendance,
)
from ksp.domain.meetings import Meeting
from ksp.domain.outcomes import OutcomeDraft, check_outcome
from ksp.domain.records import (
    ActionStatusRecord,
    AttendanceRecord,
    MeetingChangeRecord,
    OutcomeRecord,
    Record,
    plain,
)
from ksp.domain.worklist import DueItem, MeetingFacts, due_items
from ksp.journal.canonical import canonical
from ksp.services.exchanges import append_exchange
from ksp.services.ports import Clock, NewAction, OutcomeRow, UnitOfWork, UnitOfWorkFactory

__all__ = ["ActionFilter", "MeetingWorkService", "RecordedOutcome"]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")


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


def _meeting_day(meeting: Meeting) -> dt.date:
    """The meeting's calendar day in Denmark (a 00.30 meeting is on the Danish day)."""
    return meeting.scheduled_for.astimezone(COPENHAGEN).date()


async def _append(uow: UnitOfWork, record: Record, ref: str) -> int:
    appended = await uow.journal.append(
        kind=record.KIND,
        ref=ref,
        author=record.recorded_by,
        created_at=record.recorded_at,
        plaintext=canonical(record.as_json()),
    )
    return appended.seq


class MeetingWorkService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        *,
        organizer: str,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._organizer = organizer  # the secretariat's mailbox, the invitation's ORGANIZER
        self._new_id = new_id

    @staticmethod
    async def _owned(uow: UnitOfWork, principal: Principal, meeting_id: str) -> Meeting:
        meeting = await uow.meetings.get(meeting_id)
        if meeting is None or not owns_meeting(principal, meeting.kif_unit):
            raise NotFound
        return meeting

    async def reschedule(
        self, principal: Principal, meeting_id: str, change: Reschedule
    ) -> Meeting:
        """A new time (planned meetings only, never in the past), place or title, with a reason;
        a new time raises the invitation's SEQUENCE."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await self._owned(uow, principal, meeting_id)
            check_reschedule(meeting.status, change, now)
            moved = (
                change.scheduled_for is not None and change.scheduled_for != meeting.scheduled_for
            )
            updated = dataclasses.replace(
                meeting,
                scheduled_for=change.scheduled_for or meeting.scheduled_for,
                location=meeting.location if change.location is None else change.location,
                title=change.title or meeting.title,
                sequence=meeting.sequence + 1 if moved else meeting.sequence,
            )
            record = MeetingChangeRecord(
                recorded_by=principal.sub,
                recorded_at=now,
                meeting_id=meeting_id,
                change="rescheduled",
                reason=change.reason,
                scheduled_for=change.scheduled_for,
                location=change.location,
                title=change.title,
                sequence=updated.sequence,
            )
            await _append(uow, record, f"meeting/{meeting_id}/change/{now.isoformat()}")
            await uow.meeting_work.save_state(updated)
            await uow.commit()
        return updated

    async def cancel(self, principal: Principal, meeting_id: str, reason: str) -> Meeting:
        """A cancelled meeting takes no list change, outcome or circulation afterwards."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await self._owned(uow, principal, meeting_id)
            check_cancellable(meeting.status, reason)
            updated = dataclasses.replace(
                meeting, status=MeetingStatus.CANCELLED, sequence=meeting.sequence + 1
            )
            record = MeetingChangeRecord(
                recorded_by=principal.sub,
                recorded_at=now,
                meeting_id=meeting_id,
                change="cancelled",
                reason=reason,
                sequence=updated.sequence,
            )
            await _append(uow, record, f"meeting/{meeting_id}/change/{now.isoformat()}")
            await uow.meeting_work.save_state(updated)
            await uow.commit()
        return updated

    def today(self) -> dt.date:
        """Today in Denmark: the day by which actions fall due."""
        return self._clock.now().astimezone(COPENHAGEN).date()

    async def record_attendance(
        self, principal: Principal, meeting_id: str, attendees: Sequence[Attendee]
    ) -> tuple[int, Meeting]:
        """Who attended, in which role, and their confidentiality undertakings; the meeting
        is then held. A later record corrects the earlier one."""
        check_attendance(attendees)
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await self._owned(uow, principal, meeting_id)
            status = status_after_attendance(meeting.status)
            latest = await uow.meeting_work.latest_attendance(meeting_id)
            number = 1 if latest is None else latest[0] + 1
            record = AttendanceRecord(
                recorded_by=principal.sub,
                recorded_at=now,
                meeting_id=meeting_id,
                number=number,
                attendees=tuple(plain(dataclasses.asdict(a)) for a in attendees),
                corrects=None if latest is None else latest[0],
            )
            seq = await _append(uow, record, f"meeting/{meeting_id}/attendance/{number}")
            await uow.meeting_work.add_attendance(meeting_id, number, seq, now, principal.sub)
            held = dataclasses.replace(
                meeting, status=status, held_on=meeting.held_on or _meeting_day(meeting)
            )
            await uow.meeting_work.save_state(held)
            await uow.commit()
        return number, held

    async def attendance(
        self, principal: Principal, meeting_id: str
    ) -> tuple[int | None, Meeting, list[dict[str, object]]]:
        """The latest attendance record. Attendee names are staff personal data: the read is
        access-logged."""
        async with self._uow() as uow:
            meeting = await self._owned(uow, principal, meeting_id)
            latest = await uow.meeting_work.latest_attendance(meeting_id)
            if latest is None:
                return None, meeting, []
            body = json.loads(await uow.journal.plaintext(latest[1]))
            await uow.access_log.record(
                principal,
                resource="attendance",
                resource_id=meeting_id,
                subjects=[],
                at=self._clock.now(),
            )
            await uow.commit()
        attendees: list[dict[str, object]] = body["attendees"]
        return latest[0], meeting, attendees

    async def record_outcome(
        self, principal: Principal, meeting_id: str, draft: OutcomeDraft
    ) -> RecordedOutcome:
        """Guide 3.3.7: discussing a case at a KSP meeting is an exchange of information, so
        each outcome opens that case's duties to tell the detainee and to note it."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await self._owned(uow, principal, meeting_id)
            ensure_not_cancelled(meeting.status)
            current = await uow.meeting_work.current_outcomes(meeting_id)
            check_outcome(
                draft,
                meeting_day=_meeting_day(meeting),
                listed_case_ids=await self._listed(uow, meeting_id),
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
                occurred_on=min(_meeting_day(meeting), now.date()),
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
        seq = await _append(uow, record, f"meeting/{meeting.id}/outcome/{outcome_id}")
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

    @staticmethod
    async def _listed(uow: UnitOfWork, meeting_id: str) -> set[str]:
        """The case ids on the meeting's latest list version."""
        document_id = await uow.documents.of_meeting(meeting_id)
        if document_id is None:
            return set()
        latest = await uow.documents.latest_version(document_id)
        record = await uow.documents.version(document_id, latest)
        if record is None:
            return set()
        body = json.loads(await uow.journal.plaintext(record.journal_seq))
        return {entry.case_id for entry in entries_of(body)}

    async def outcomes(
        self, principal: Principal, meeting_id: str
    ) -> tuple[list[OutcomeRow], dict[str, list[ActionView]]]:
        """The current outcomes, and each outcome's actions (by outcome id)."""
        async with self._uow() as uow:
            await self._owned(uow, principal, meeting_id)
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
        seq = await _append(uow, record, f"action/{action.id}/status/{number}")
        await uow.meeting_work.add_status(action.id, number, status, note, seq, now, principal.sub)
        return dataclasses.replace(action, status=status, note=note, status_number=number)

    async def worklist(self, principal: Principal) -> list[DueItem]:
        """What KiF's unit has to do next (the rules are in ``ksp.domain.worklist``)."""
        now = self._clock.now()
        today = now.astimezone(COPENHAGEN).date()
        async with self._uow() as uow:
            meeting_ids = await uow.meeting_work.meeting_ids(principal.unit)
            facts = [await self._facts(uow, meeting_id) for meeting_id in meeting_ids]
            actions = await uow.meeting_work.actions(meeting_ids=meeting_ids)
            duties = await uow.exchanges.open_duties(case_scope(principal))
        return due_items(
            meetings=[f for f in facts if f is not None],
            actions=actions,
            open_exchange_ids=[exchange.id for exchange, _, _ in duties],
            now=now,
            today=today,
        )

    async def _facts(self, uow: UnitOfWork, meeting_id: str) -> MeetingFacts | None:
        meeting = await uow.meetings.get(meeting_id)
        if meeting is None or meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED):
            return None
        listed, latest, circulated = set(), None, False
        document_id = await uow.documents.of_meeting(meeting_id)
        if document_id is not None:
            latest = await uow.documents.latest_version(document_id) or None
            listed = await self._listed(uow, meeting_id)
            circulated = latest is not None and await uow.meeting_work.circulated(
                document_id, latest
            )
        cases = await uow.cases.get_many(sorted(listed))
        withdrawn = tuple(
            sorted(case_id for case_id, case in cases.items() if case.status.value == "withdrawn")
        )
        return MeetingFacts(
            id=meeting.id,
            status=meeting.status,
            scheduled_for=meeting.scheduled_for,
            latest_list_version=latest,
            latest_list_circulated=circulated,
            held_on=meeting.held_on,
            has_minutes=False,  # the first minutes close the meeting, which then leaves here
            withdrawn_case_ids=withdrawn,
        )

    async def invitation(self, principal: Principal, meeting_id: str) -> InvitationFacts:
        """The meeting's RFC 5545 invitation, for KiF and the meeting's participants."""
        async with self._uow() as uow:
            meeting = await uow.meetings.get(meeting_id)
            if meeting is None:
                raise NotFound
            participants = await uow.recipients.participants(meeting_id)
            taking_part = (
                principal.role is Role.PARTICIPANT
                and principal.email is not None
                and any(
                    r.email == principal.email.lower() and r.unit == principal.unit
                    for r in participants
                )
            )
            if not (owns_meeting(principal, meeting.kif_unit) or taking_part):
                raise NotFound
        return self.invitation_facts(meeting, [r.email for r in participants])

    def invitation_facts(self, meeting: Meeting, attendees: Sequence[str]) -> InvitationFacts:
        return InvitationFacts(
            meeting_id=meeting.id,
            title=meeting.title,
            location=meeting.location,
            scheduled_for=meeting.scheduled_for,
            sequence=meeting.sequence,
            cancelled=meeting.status is MeetingStatus.CANCELLED,
            organizer=self._organizer,
            attendees=attendees,
            stamped_at=self._clock.now(),
        )


def _matches(action: ActionView, status: str, today: dt.date) -> bool:
    if status == ActionFilter.OPEN:
        return action.status is ActionStatus.OPEN
    if status == ActionFilter.OVERDUE:
        return is_overdue(action, today)
    if status == ActionFilter.DONE:
        return action.status is ActionStatus.DONE
    return True
