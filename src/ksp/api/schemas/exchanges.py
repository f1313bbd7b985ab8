"""Bodies of the exchange routes: exchanges, notifications and notes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

import msgspec

from ksp.api.schemas.common import (
    _In,
)
from ksp.domain.circulation import Agency

__all__ = [
    "ExchangeDetailOut",
    "ExchangeIn",
    "ExchangeOut",
    "NoteIn",
    "NoteOut",
    "NotificationIn",
    "NotificationOut",
    "OpenExchangeOut",
    "RecordOut",
]


class ExchangeIn(_In):
    occurred_on: dt.date
    agencies: Annotated[list[Agency], msgspec.Meta(min_length=1, max_length=3)]
    summary: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]
    meeting_id: UUID | None = None


class ExchangeOut(msgspec.Struct, kw_only=True):
    id: str
    case_id: str
    occurred_on: dt.date
    agencies: list[Agency]
    meeting_id: str | None
    created_at: dt.datetime


class NotificationIn(_In):
    told: bool
    told_on: dt.date | None = None
    how: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None
    manager: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    discussed_on: dt.date | None = None


class NoteIn(_In):
    where: Literal["handleplan", "personjournal", "none"]
    reason: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class RecordOut(msgspec.Struct, kw_only=True):
    exchange_id: str
    kind: str
    number: int
    corrects: int | None
    created_at: dt.datetime


class OpenExchangeOut(ExchangeOut, kw_only=True):
    notification_recorded: bool
    note_recorded: bool


class NotificationOut(msgspec.Struct, kw_only=True):
    """The latest notification decision (``number`` counts the corrections)."""

    number: int
    told: bool
    told_on: dt.date | None
    how: str | None
    reason: str | None
    manager: str | None
    discussed_on: dt.date | None
    recorded_at: dt.datetime
    recorded_by: str


class NoteOut(msgspec.Struct, kw_only=True):
    """The latest note record: where the exchange was noted, or why not."""

    number: int
    where: Literal["handleplan", "personjournal", "none"]
    reason: str | None
    recorded_at: dt.datetime
    recorded_by: str


class ExchangeDetailOut(OpenExchangeOut, kw_only=True):
    summary: str
    notification: NotificationOut | None
    note: NoteOut | None
