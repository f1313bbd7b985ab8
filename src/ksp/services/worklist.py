"""KiF's worklist: the facts of its meetings, actions and exchanges, judged by the rules of
``ksp.domain.worklist``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from ksp.domain.access import Principal, case_scope
from ksp.domain.meeting_status import (
    MeetingStatus,
)
from ksp.domain.worklist import DueItem, MeetingFacts, due_items
from ksp.services.meeting_journal import (
    COPENHAGEN,
    listed_case_ids,
)
from ksp.services.ports import Clock, Page, UnitOfWork, UnitOfWorkFactory

__all__ = ["WorklistService"]

WORKLIST_EXCHANGES = 500  # exchanges with open duties shown at once (oldest first)


class WorklistService:
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

    async def worklist(self, principal: Principal) -> list[DueItem]:
        """What KiF's unit has to do next (the rules are in ``ksp.domain.worklist``)."""
        now = self._clock.now()
        today = now.astimezone(COPENHAGEN).date()
        async with self._uow() as uow:
            meeting_ids = await uow.meeting_work.meeting_ids(principal.unit)
            facts = [await self._facts(uow, meeting_id) for meeting_id in meeting_ids]
            actions = await uow.meeting_work.actions(meeting_ids=meeting_ids)
            duties = await uow.exchanges.find(
                case_scope(principal), Page(limit=WORKLIST_EXCHANGES), open_duties=True
            )
        return due_items(
            meetings=[f for f in facts if f is not None],
            actions=actions,
            open_exchange_ids=[exchange.id for exchange in duties],
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
            listed = await listed_case_ids(uow, meeting_id)
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
