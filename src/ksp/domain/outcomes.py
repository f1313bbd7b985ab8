"""Outcomes of the cases discussed at a KSP meeting, and the actions agreed.

Guide 3.3.7: discussing a case at a KSP meeting is an exchange of information, so each
outcome opens that case's duties to tell the detainee and to note the exchange ("Notatpligt
og orientering"), exactly as a recorded exchange does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.attendance import Agency
from ksp.domain.errors import DuplicateOutcome, FieldError, InvalidInput
from ksp.domain.text import text_problem

__all__ = [
    "MAX_ACTIONS",
    "ActionDraft",
    "OutcomeDecision",
    "OutcomeDraft",
    "check_outcome",
]

MAX_ACTIONS = 50
MAX_SUMMARY = 4000
MAX_DESCRIPTION = 2000
_UNIT = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class OutcomeDecision(StrEnum):
    INFORMATION_EXCHANGED = "information-exchanged"
    NO_FURTHER_ACTION = "no-further-action"
    FOLLOW_UP = "follow-up"
    NEXT_MEETING = "next-meeting"


@dataclass(frozen=True, slots=True)
class ActionDraft:
    agency: Agency
    unit: str
    description: str
    due_on: dt.date


@dataclass(frozen=True, slots=True)
class OutcomeDraft:
    case_id: str
    summary: str
    decision: OutcomeDecision
    actions: tuple[ActionDraft, ...] = ()
    corrects: str | None = None


def _text_errors(field: str, value: str, limit: int) -> list[FieldError]:
    if not value.strip() or len(value) > limit:
        return [FieldError(field, f"must be 1 to {limit} characters")]
    if problem := text_problem(value):
        return [FieldError(field, problem)]
    return []


def _action_errors(actions: Sequence[ActionDraft], meeting_day: dt.date) -> list[FieldError]:
    errors: list[FieldError] = []
    if len(actions) > MAX_ACTIONS:
        errors.append(FieldError("actions", f"must hold at most {MAX_ACTIONS} actions"))
    for index, action in enumerate(actions):
        at = f"actions[{index}]"
        errors.extend(_text_errors(f"{at}.description", action.description, MAX_DESCRIPTION))
        if not _UNIT.match(action.unit) or len(action.unit) > 100:
            errors.append(FieldError(f"{at}.unit", "must be a lower-case unit slug"))
        if action.due_on < meeting_day:
            errors.append(FieldError(f"{at}.due_on", "must not be before the meeting"))
    return errors


def check_outcome(
    draft: OutcomeDraft,
    *,
    meeting_day: dt.date,
    listed_case_ids: Collection[str],
    current_outcome_by_case: dict[str, str],
) -> None:
    """An outcome is for a case on the latest list version; a case has one current outcome,
    and another must name it in ``corrects``; actions are due on or after the meeting."""
    errors = _text_errors("summary", draft.summary, MAX_SUMMARY)
    errors.extend(_action_errors(draft.actions, meeting_day))
    if draft.case_id not in listed_case_ids:
        errors.append(FieldError("case_id", "is not on the latest list version"))
    if errors:
        raise InvalidInput(errors)
    current = current_outcome_by_case.get(draft.case_id)
    if draft.corrects is None and current is not None:
        raise DuplicateOutcome
    if draft.corrects is not None and draft.corrects != current:
        raise InvalidInput([FieldError("corrects", "must name this case's current outcome")])
