"""Exchanges of information and the records the guide asks for around them (guide 3.3.7).

- Telling the detainee: "Den indsatte orienteres som udgangspunkt altid om udveksling af
  oplysninger"; it may be left out where special considerations speak against it, and that
  should be discussed with the nearest manager first. A decision not to tell therefore names
  the reason, the manager and the date of the discussion.
- Note duty ("Notatpligt"): noted in the action plan where relevant to it, otherwise the
  person journal is considered; or not noted, with the reason.

Every record is immutable; a later one of the same kind corrects the earlier.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.circulation import Agency
from ksp.domain.errors import FieldError, InvalidInput, NotificationOmissionNeedsManager
from ksp.domain.text import line_problem, text_problem

__all__ = [
    "Exchange",
    "ExchangeRecord",
    "ExchangeView",
    "NoteDraft",
    "NoteWhere",
    "NotificationDraft",
    "check_exchange",
    "check_note",
    "check_notification",
]

MAX_TEXT = 4000


class NoteWhere(StrEnum):
    HANDLEPLAN = "handleplan"
    PERSONJOURNAL = "personjournal"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Exchange:
    id: str
    case_id: str
    occurred_on: dt.date
    agencies: tuple[Agency, ...]
    meeting_id: str | None
    summary: str
    created_at: dt.datetime
    created_by_sub: str
    journal_seq: int = 0


@dataclass(frozen=True, slots=True)
class NotificationDraft:
    told: bool
    told_on: dt.date | None = None
    how: str | None = None
    reason: str | None = None
    manager: str | None = None
    discussed_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class NoteDraft:
    where: NoteWhere
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ExchangeRecord:
    """A notification decision or a note record; ``number`` counts per kind."""

    exchange_id: str
    kind: str  # "notification" or "note"
    number: int
    content: dict[str, object]
    created_at: dt.datetime
    created_by_sub: str


@dataclass(frozen=True, slots=True)
class ExchangeView:
    """An exchange as read back: its latest notification decision and note record (a later
    record corrects an earlier), or None where the duty is still open."""

    exchange: Exchange
    notification: ExchangeRecord | None
    note: ExchangeRecord | None

    @property
    def open(self) -> bool:
        return self.notification is None or self.note is None


def _text(field: str, value: str | None, *, required: bool) -> list[FieldError]:
    if value is None or not value.strip():
        return [FieldError(field, "is required")] if required else []
    if len(value) > MAX_TEXT or text_problem(value):
        return [FieldError(field, f"must be text of at most {MAX_TEXT} characters")]
    return []


def check_exchange(exchange: Exchange, today: dt.date) -> None:
    errors = _text("summary", exchange.summary, required=True)
    if exchange.occurred_on > today:
        errors.append(FieldError("occurred_on", "must not be in the future"))
    if not exchange.agencies:
        errors.append(FieldError("agencies", "must name at least one agency"))
    if errors:
        raise InvalidInput(errors)


def check_notification(draft: NotificationDraft, today: dt.date, occurred_on: dt.date) -> None:
    """Guide 3.3.7: told (when, how), or not told with the reason, the manager it was
    discussed with, and when. Telling comes after the exchange, and a detainee who was told
    needs no manager's discussion of not telling."""
    if draft.told:
        errors = _told_problems(draft, today, occurred_on)
        if errors:
            raise InvalidInput(errors)
        return
    missing = (
        not (draft.reason or "").strip()
        or not (draft.manager or "").strip()
        or draft.discussed_on is None
    )
    if missing:
        raise NotificationOmissionNeedsManager
    errors = _text("reason", draft.reason, required=True)
    if draft.manager is not None and line_problem(draft.manager):
        errors.append(FieldError("manager", "must be one line"))
    if draft.discussed_on is not None and draft.discussed_on > today:
        errors.append(FieldError("discussed_on", "must not be in the future"))
    if errors:
        raise InvalidInput(errors)


def _told_problems(
    draft: NotificationDraft, today: dt.date, occurred_on: dt.date
) -> list[FieldError]:
    errors = _text("how", draft.how, required=True)
    if draft.told_on is None or draft.told_on > today:
        errors.append(FieldError("told_on", "is required and not in the future"))
    elif draft.told_on < occurred_on:
        errors.append(FieldError("told_on", "must not be before the exchange's occurred_on"))
    return errors + [
        FieldError(name, "is only for a decision not to tell")
        for name in ("reason", "manager", "discussed_on")
        if getattr(draft, name) is not None
    ]


def check_note(draft: NoteDraft) -> None:
    """Guide 3.3.7 ("Notatpligt"): where it was noted, or why not."""
    errors = _text("reason", draft.reason, required=draft.where is NoteWhere.NONE)
    if errors:
        raise InvalidInput(errors)
