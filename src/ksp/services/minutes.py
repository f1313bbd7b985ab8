"""The minutes (referat) of a meeting: a new journalised version per call, built from the
latest attendance, the current outcomes and their actions (CONTRACT.md, "Meetings (issue
8)"). Old versions never change; they are read, diffed, verified, exported and circulated
exactly as the list's are. The first version closes a held meeting.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from typing import Any

from ksp.domain.access import Principal
from ksp.domain.actions import ActionView
from ksp.domain.meeting_status import status_after_minutes
from ksp.domain.minutes import (
    MinutesAction,
    MinutesContent,
    MinutesOutcome,
    check_minutes_reason,
    minutes_body,
)
from ksp.services.meeting_journal import latest_list_entries, owned_meeting
from ksp.services.meetings import NewVersion, document_of, journal_version
from ksp.services.ports import Clock, UnitOfWork, UnitOfWorkFactory, VersionRecord

__all__ = ["MINUTES_KIND", "MINUTES_VERSION", "MinutesService"]

MINUTES_KIND = "minutes"  # documents.kind
MINUTES_VERSION = "minutes-version"  # the journal entry kind of a minutes version


class MinutesService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id

    async def write(self, principal: Principal, meeting_id: str, reason: str) -> NewVersion:
        """A new minutes version; a planned meeting has none (409), nor a cancelled one."""
        check_minutes_reason(reason)
        async with self._uow() as uow:
            await uow.journal.lock()
            meeting = await owned_meeting(uow, principal, meeting_id)
            status = status_after_minutes(meeting.status)
            document_id, latest = await document_of(
                uow, meeting, MINUTES_KIND, self._new_id, self._clock.now()
            )
            now, version = self._clock.now(), latest + 1
            agenda = await latest_list_entries(uow, meeting_id)
            body = minutes_body(
                meeting,
                document_id=document_id,
                version=version,
                created_at=now,
                created_by_sub=principal.sub,
                reason=reason,
                content=MinutesContent(
                    attendees=await _attendees(uow, meeting_id),
                    agenda=agenda,
                    outcomes=await _outcomes(uow, meeting_id),
                ),
            )
            made = await journal_version(
                uow,
                MINUTES_VERSION,
                VersionRecord(document_id, version, 0, "", now, principal.sub, reason, len(agenda)),
                body,
            )
            if status is not meeting.status:
                await uow.meeting_work.save_state(dataclasses.replace(meeting, status=status))
            await uow.commit()
        return made


async def _attendees(uow: UnitOfWork, meeting_id: str) -> list[dict[str, Any]]:
    latest = await uow.meeting_work.latest_attendance(meeting_id)
    if latest is None:
        return []
    attendees: list[dict[str, Any]] = json.loads(await uow.journal.plaintext(latest[1]))[
        "attendees"
    ]
    return attendees


async def _outcomes(uow: UnitOfWork, meeting_id: str) -> dict[str, MinutesOutcome]:
    """The current outcome per case, with its actions as they stand now."""
    actions: dict[str, list[ActionView]] = {}
    for action in await uow.meeting_work.actions(meeting_ids=[meeting_id]):
        actions.setdefault(action.outcome_id, []).append(action)
    return {
        row.case_id: MinutesOutcome(
            outcome_id=row.id,
            summary=row.summary,
            decision=row.decision,
            actions=tuple(
                MinutesAction(
                    id=a.id,
                    agency=a.agency,
                    unit=a.unit,
                    description=a.description,
                    due_on=a.due_on.isoformat(),
                    status=a.status.value,
                )
                for a in actions.get(row.id, [])
            ),
        )
        for row in await uow.meeting_work.current_outcomes(meeting_id)
    }
