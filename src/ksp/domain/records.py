"""The typed, versioned records the meeting secretariat journals: one record type per entry
kind, each naming its format (``ksp-<kind>/<version>``), serialised to plain JSON values.

A correction is a new record that points at what it corrects; nothing is updated in place.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

__all__ = [
    "ActionStatusRecord",
    "AttendanceRecord",
    "ErasureRecord",
    "MeetingChangeRecord",
    "OutcomeRecord",
    "Record",
    "plain",
]


def plain(value: Any) -> Any:
    """JSON values of a record's fields: dates ISO 8601, enums their value."""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class Record:
    FORMAT: ClassVar[str] = ""
    KIND: ClassVar[str] = ""

    recorded_by: str
    recorded_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        fields = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        return {"format": self.FORMAT, **fields}


@dataclass(frozen=True, slots=True)
class MeetingChangeRecord(Record):
    """A reschedule or a cancellation: what changed and why."""

    FORMAT: ClassVar[str] = "ksp-meeting-change/1"
    KIND: ClassVar[str] = "meeting-change"

    meeting_id: str
    change: str  # "rescheduled" or "cancelled"
    reason: str
    scheduled_for: dt.datetime | None = None
    location: str | None = None
    title: str | None = None
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class AttendanceRecord(Record):
    FORMAT: ClassVar[str] = "ksp-attendance/1"
    KIND: ClassVar[str] = "attendance"

    meeting_id: str
    number: int
    attendees: tuple[dict[str, Any], ...]
    corrects: int | None = None


@dataclass(frozen=True, slots=True)
class OutcomeRecord(Record):
    FORMAT: ClassVar[str] = "ksp-outcome/1"
    KIND: ClassVar[str] = "outcome"

    id: str
    meeting_id: str
    case_id: str
    summary: str
    decision: str
    actions: tuple[dict[str, Any], ...]
    exchange_id: str
    corrects: str | None = None


@dataclass(frozen=True, slots=True)
class ActionStatusRecord(Record):
    FORMAT: ClassVar[str] = "ksp-action-status/1"
    KIND: ClassVar[str] = "action-status"

    action_id: str
    number: int
    status: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ErasureRecord(Record):
    """What was erased, when and under which rule, without any personal data: journal
    entries by sequence number, other rows by table and id. ``rule`` is a retention rule
    (``retention:list_version:365d``) or ``decision`` with the decision's id."""

    FORMAT: ClassVar[str] = "ksp-erasure/1"
    KIND: ClassVar[str] = "erasure"

    rule: str
    entries: tuple[int, ...]
    records: tuple[dict[str, str], ...]
    decision_id: str | None = None
