"""Actions agreed at a KSP meeting: an owning agency and unit, a due date, and a status
history. An action stays open, carried to the next meeting, until it is done or closed as
not done (and then why: the circumstances changed, or the agency did not act)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.errors import FieldError, InvalidInput, InvalidStatusTransition
from ksp.domain.text import text_problem

__all__ = ["ActionStatus", "ActionView", "check_status_change", "is_overdue"]

MAX_NOTE = 2000


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    NOT_DONE_CIRCUMSTANCES_CHANGED = "not-done-circumstances-changed"
    NOT_DONE_AGENCY = "not-done-agency"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ActionView:
    """An action as it stands: the latest of its status entries."""

    id: str
    meeting_id: str
    case_id: str
    outcome_id: str
    agency: str
    unit: str
    description: str
    due_on: dt.date
    status: ActionStatus
    note: str | None = None
    status_number: int = 0  # how many status entries it has (0: open as agreed)


def check_status_change(current: ActionStatus, new: ActionStatus, note: str | None) -> None:
    """Only an open action changes status; a "not done" needs a note saying what happened."""
    if current is not ActionStatus.OPEN or new is ActionStatus.OPEN:
        raise InvalidStatusTransition("The action's status does not allow this change.")
    needs_note = new in (
        ActionStatus.NOT_DONE_AGENCY,
        ActionStatus.NOT_DONE_CIRCUMSTANCES_CHANGED,
        ActionStatus.CANCELLED,
    )
    if note is not None and (len(note) > MAX_NOTE or (problem := text_problem(note))):
        message = problem or f"must be at most {MAX_NOTE} characters"
        raise InvalidInput([FieldError("note", message)])
    if needs_note and (note is None or not note.strip()):
        raise InvalidInput([FieldError("note", "is required when the action was not done")])


def is_overdue(action: ActionView, today: dt.date) -> bool:
    return action.status is ActionStatus.OPEN and action.due_on < today
