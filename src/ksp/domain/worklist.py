"""What KiF has to do next, from the rules of the contract ("Meetings (issue 8)"):

- a meeting within 7 days whose latest list version was not circulated;
- a held meeting without minutes after 3 working days;
- overdue actions;
- exchanges with open duties (guide 3.3.7, "Notatpligt og orientering");
- withdrawn cases still on a meeting's latest list.

Pure: the service gathers the facts, this decides what is due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.actions import ActionView, is_overdue
from ksp.domain.meeting_status import MeetingStatus
from ksp.domain.working_days import add_working_days

__all__ = [
    "CIRCULATE_WITHIN",
    "MINUTES_WITHIN_WORKING_DAYS",
    "DueItem",
    "DueKind",
    "MeetingFacts",
    "due_items",
]

CIRCULATE_WITHIN = dt.timedelta(days=7)
MINUTES_WITHIN_WORKING_DAYS = 3


class DueKind(StrEnum):
    LIST_NOT_CIRCULATED = "list-not-circulated"
    MINUTES_MISSING = "minutes-missing"
    ACTION_OVERDUE = "action-overdue"
    EXCHANGE_DUTIES_OPEN = "exchange-duties-open"
    WITHDRAWN_CASE_ON_LIST = "withdrawn-case-on-list"


@dataclass(frozen=True, slots=True)
class MeetingFacts:
    id: str
    status: MeetingStatus
    scheduled_for: dt.datetime
    latest_list_version: int | None
    latest_list_circulated: bool
    held_on: dt.date | None
    has_minutes: bool
    withdrawn_case_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DueItem:
    kind: DueKind
    reference: str  # the id of the meeting, action or exchange; never personal data
    meeting_id: str | None
    due_on: dt.date | None


def _meeting_items(meeting: MeetingFacts, now: dt.datetime, today: dt.date) -> list[DueItem]:
    items: list[DueItem] = []
    if meeting.status is MeetingStatus.CANCELLED:
        return items
    soon = now <= meeting.scheduled_for <= now + CIRCULATE_WITHIN
    listed = meeting.latest_list_version is not None
    planned = meeting.status is MeetingStatus.PLANNED
    if planned and soon and listed and not meeting.latest_list_circulated:
        due = meeting.scheduled_for.date()
        items.append(DueItem(DueKind.LIST_NOT_CIRCULATED, meeting.id, meeting.id, due))
    if meeting.status is MeetingStatus.HELD and not meeting.has_minutes and meeting.held_on:
        due = add_working_days(meeting.held_on, MINUTES_WITHIN_WORKING_DAYS)
        if today > due:
            items.append(DueItem(DueKind.MINUTES_MISSING, meeting.id, meeting.id, due))
    items.extend(
        DueItem(DueKind.WITHDRAWN_CASE_ON_LIST, case_id, meeting.id, None)
        for case_id in meeting.withdrawn_case_ids
    )
    return items


def due_items(
    *,
    meetings: Iterable[MeetingFacts],
    actions: Iterable[ActionView],
    open_exchange_ids: Iterable[str],
    now: dt.datetime,
    today: dt.date,
) -> list[DueItem]:
    """Every due item, meetings first, then actions by due date, then exchanges."""
    items: list[DueItem] = []
    for meeting in meetings:
        items.extend(_meeting_items(meeting, now, today))
    overdue = sorted((a for a in actions if is_overdue(a, today)), key=lambda a: a.due_on)
    items.extend(DueItem(DueKind.ACTION_OVERDUE, a.id, a.meeting_id, a.due_on) for a in overdue)
    items.extend(
        DueItem(DueKind.EXCHANGE_DUTIES_OPEN, exchange_id, None, None)
        for exchange_id in open_exchange_ids
    )
    return items
