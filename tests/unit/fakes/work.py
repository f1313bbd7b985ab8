"""Fakes of the case-history, idempotency, recipient, exchange and meeting-work stores."""

# ruff: noqa: ARG002  (a fake keeps only what the tests read; the port's signature stays)

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence

from ksp.domain.access import CaseScope
from ksp.domain.actions import ActionStatus, ActionView
from ksp.domain.cases import Triage
from ksp.domain.circulation import Recipient
from ksp.domain.corrections import Revision
from ksp.domain.exchanges import Exchange, ExchangeRecord
from ksp.domain.meetings import Meeting
from ksp.services.ports import (
    CaseHistoryStore,
    ExchangeStore,
    IdempotencyStore,
    MeetingWorkStore,
    NewAction,
    OutcomeRow,
    Page,
    RecipientStore,
    StoredResult,
)
from unit.fakes.state import State

__all__ = [
    "FakeCaseHistoryStore",
    "FakeExchangeStore",
    "FakeIdempotencyStore",
    "FakeMeetingWorkStore",
    "FakeRecipientStore",
]


class FakeCaseHistoryStore(CaseHistoryStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def next_revision(self, case_id: str) -> int:
        return 1  # the fakes keep no corrections: every case is at its first revision

    async def add_revision(self, revision: Revision) -> None:
        raise NotImplementedError

    async def revisions(self, case_id: str) -> list[Revision]:
        raise NotImplementedError

    async def add_triage(self, case_id: str, triage: Triage) -> None:
        self._state.triages.setdefault(case_id, []).append(triage)

    async def triages(self, case_id: str) -> list[Triage]:
        return list(self._state.triages.get(case_id, []))

    async def add_list_entries(
        self, document_id: str, version: int, case_ids: Collection[str]
    ) -> None:
        self._state.list_entries[(document_id, version)] = tuple(case_ids)

    async def listings(self, case_ids: Collection[str]) -> dict[str, list[tuple[str, int]]]:
        """For each case, the documents whose latest version holds it."""
        latest: dict[str, int] = {}
        for document_id, version in self._state.list_entries:
            latest[document_id] = max(version, latest.get(document_id, 0))
        return {
            case_id: [
                (document_id, version)
                for document_id, version in sorted(latest.items())
                if case_id in self._state.list_entries[(document_id, version)]
            ]
            for case_id in case_ids
        }


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def get(self, sub: str, unit: str, key: str) -> StoredResult | None:
        return self._state.idempotency.get((sub, unit, key))

    async def add(
        self, sub: str, unit: str, key: str, stored: StoredResult, at: dt.datetime
    ) -> None:
        self._state.idempotency[(sub, unit, key)] = stored


class FakeRecipientStore(RecipientStore):
    """Only meeting participation, by e-mail and unit; the rest is not faked."""

    def __init__(self, state: State) -> None:
        self._state = state

    async def meetings_of(self, email: str, unit: str) -> list[str]:
        return sorted(
            meeting_id
            for meeting_id, people in self._state.participations.items()
            if (email, unit) in people
        )

    async def add(self, recipient: Recipient, public_key: str) -> None:
        raise NotImplementedError

    async def get(self, recipient_id: str) -> Recipient | None:
        raise NotImplementedError

    async def public_key(self, recipient_id: str) -> str | None:
        raise NotImplementedError

    async def public_keys(self, recipient_ids: list[str]) -> dict[str, str]:
        raise NotImplementedError

    async def registered(self, kif_unit: str, email: str) -> bool:
        raise NotImplementedError

    async def replace_key(
        self, recipient: Recipient, public_key: str, at: dt.datetime, by_sub: str
    ) -> None:
        raise NotImplementedError

    async def retire(self, recipient_id: str, at: dt.datetime, by_sub: str) -> None:
        raise NotImplementedError

    async def find(self, kif_unit: str | None) -> list[Recipient]:
        raise NotImplementedError

    async def add_participant(
        self, meeting_id: str, recipient_id: str, at: dt.datetime, by_sub: str
    ) -> None:
        raise NotImplementedError

    async def participants(self, meeting_id: str) -> list[Recipient]:
        raise NotImplementedError

    async def remove_participant(self, meeting_id: str, recipient_id: str) -> bool:
        raise NotImplementedError


class FakeExchangeStore(ExchangeStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def add(self, exchange: Exchange) -> None:
        self._state.exchanges[exchange.id] = exchange

    async def get(self, exchange_id: str) -> Exchange | None:
        return self._state.exchanges.get(exchange_id)

    async def next_number(self, exchange_id: str, kind: str) -> int:
        raise NotImplementedError

    async def add_record(self, record: ExchangeRecord, journal_seq: int) -> None:
        self._state.exchange_records.append(record)

    async def find(
        self, scope: CaseScope, page: Page, *, open_duties: bool | None = None
    ) -> list[Exchange]:
        """The scope's exchanges, oldest first; open: missing a notification or a note."""
        kinds = {(r.exchange_id, r.kind) for r in self._state.exchange_records}
        found = []
        for exchange in sorted(self._state.exchanges.values(), key=lambda e: e.created_at):
            case = self._state.cases.get(exchange.case_id)
            if case is None or not case.visible_in(scope):
                continue
            closed = {(exchange.id, "notification"), (exchange.id, "note")} <= kinds
            if open_duties is None or open_duties is not closed:
                found.append(exchange)
        return found[page.offset : page.offset + page.limit]

    async def latest_records(
        self, exchange_ids: Collection[str]
    ) -> dict[tuple[str, str], ExchangeRecord]:
        raise NotImplementedError


class FakeMeetingWorkStore(MeetingWorkStore):
    def __init__(self, state: State) -> None:
        self._state = state

    async def meeting_ids(self, kif_unit: str) -> list[str]:
        return sorted(m.id for m in self._state.meetings.values() if m.kif_unit == kif_unit)

    async def circulated(self, document_id: str, version: int) -> bool:
        return (document_id, version) in self._state.circulated

    async def save_state(self, meeting: Meeting) -> None:
        self._state.meetings[meeting.id] = meeting

    async def latest_attendance(self, meeting_id: str) -> tuple[int, int] | None:
        raise NotImplementedError

    async def add_attendance(
        self, meeting_id: str, number: int, journal_seq: int, at: dt.datetime, by_sub: str
    ) -> None:
        raise NotImplementedError

    async def add_outcome(self, row: OutcomeRow) -> None:
        self._state.outcomes.append(row)

    async def current_outcomes(self, meeting_id: str) -> list[OutcomeRow]:
        """The outcomes of the meeting that no later outcome corrects."""
        rows = [o for o in self._state.outcomes if o.meeting_id == meeting_id]
        corrected = {o.corrects for o in rows if o.corrects is not None}
        return [o for o in rows if o.id not in corrected]

    async def add_actions(self, new: Sequence[NewAction]) -> None:
        for a in new:
            self._state.actions[a.id] = ActionView(
                a.id, a.meeting_id, a.case_id, a.outcome_id, a.agency, a.unit, a.description,
                a.due_on, ActionStatus.OPEN,
            )  # fmt: skip

    async def actions(
        self,
        *,
        meeting_ids: Collection[str] | None = None,
        unit: str | None = None,
        outcome_id: str | None = None,
        action_id: str | None = None,
    ) -> list[ActionView]:
        return [
            a
            for a in self._state.actions.values()
            if (meeting_ids is None or a.meeting_id in meeting_ids)
            and (unit is None or a.unit == unit)
            and (outcome_id is None or a.outcome_id == outcome_id)
            and (action_id is None or a.id == action_id)
        ]

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
        action = self._state.actions[action_id]
        assert number == action.status_number + 1, "statuses are numbered without gaps"
        changed = dataclasses.replace(action, status=status, note=note, status_number=number)
        self._state.actions[action_id] = changed
