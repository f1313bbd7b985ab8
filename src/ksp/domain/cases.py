"""Cases: what jail staff (and KiF, and participants) submit, and the rules they obey."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, replace
from enum import StrEnum

from ksp.domain import reference
from ksp.domain.access import CaseScope
from ksp.domain.cpr import Cpr, InvalidCpr, parse_cpr
from ksp.domain.errors import (
    FieldError,
    InvalidInput,
    InvalidStatusTransition,
    RemandRequiresRadicalisationConcern,
)
from ksp.domain.text import line_problem, text_problem

__all__ = [
    "Case",
    "CaseDraft",
    "CaseStatus",
    "Custody",
    "Submitter",
    "Triage",
    "TriageDecision",
    "check_case",
    "parse_case",
    "reason_errors",
    "triage",
]

UNIT_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_NAME = 200
MAX_TEXT = 4000


class Custody(StrEnum):
    """Retsplejelovens § 115 stk. 2 covers these (guide 3.3.7, 3.1.1 c)."""

    REMAND = "remand"
    CONVICTED = "convicted"
    YOUTH_SECTION_78 = "youth_section_78"


class CaseStatus(StrEnum):
    """``meeting``: triaged for a meeting; ``listed``: on a meeting's latest list version;
    ``withdrawn``: taken back by the unit that submitted it, or by KiF."""

    SUBMITTED = "submitted"
    MEETING = "meeting"
    DIRECT = "direct"
    REJECTED = "rejected"
    LISTED = "listed"
    WITHDRAWN = "withdrawn"


class TriageDecision(StrEnum):
    """Guide 3.3.7: KiF judges whether a case can wait for a meeting or is urgent."""

    MEETING = "meeting"
    DIRECT = "direct"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class CaseDraft:
    """The raw facts of a submission, before the rules are checked."""

    name: str
    cpr: str
    custody: Custody
    radicalisation_concern: bool
    security_notified_on: dt.date | None
    concern: str
    municipality_code: int
    police_district: str
    kif_unit: str
    detained_since: dt.date
    released_on: dt.date | None
    urgent: bool
    meeting_id: str | None


@dataclass(frozen=True, slots=True)
class Submitter:
    sub: str
    role: str
    unit: str


@dataclass(frozen=True, slots=True)
class Triage:
    decision: TriageDecision
    reason: str | None
    at: dt.datetime
    by_sub: str
    corrects: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    """A case that passed every rule. Its personal data: ``name``, ``cpr``, ``concern``."""

    id: str
    submitted_at: dt.datetime
    submitted_by: Submitter
    name: str
    cpr: Cpr
    custody: Custody
    radicalisation_concern: bool
    security_notified_on: dt.date | None
    concern: str
    municipality_code: int
    police_district: str
    kif_unit: str
    detained_since: dt.date
    released_on: dt.date | None
    urgent: bool
    meeting_id: str | None
    status: CaseStatus = CaseStatus.SUBMITTED
    triage: Triage | None = None

    def visible_in(self, scope: CaseScope) -> bool:
        return scope.covers(
            kif_unit=self.kif_unit,
            submitted_by_role=self.submitted_by.role,
            submitted_by_unit=self.submitted_by.unit,
        )


def _text_errors(draft: CaseDraft) -> list[FieldError]:
    errors: list[FieldError] = []
    if not draft.name.strip() or len(draft.name) > MAX_NAME:
        errors.append(FieldError("subject.name", f"must be 1 to {MAX_NAME} characters"))
    elif problem := line_problem(draft.name):
        errors.append(FieldError("subject.name", problem))
    if not draft.concern.strip() or len(draft.concern) > MAX_TEXT:
        errors.append(FieldError("concern", f"must be 1 to {MAX_TEXT} characters"))
    elif problem := text_problem(draft.concern):
        errors.append(FieldError("concern", problem))
    return errors


def _field_errors(
    draft: CaseDraft, today: dt.date, kif_units: Collection[str] | None
) -> list[FieldError]:
    errors = _text_errors(draft)
    try:
        parse_cpr(draft.cpr, today=today)
    except InvalidCpr as exc:
        errors.append(FieldError("subject.cpr", str(exc)))
    if reference.municipality(draft.municipality_code) is None:
        errors.append(FieldError("municipality_code", "is not one of the 98 municipalities"))
    if reference.police_district(draft.police_district) is None:
        errors.append(FieldError("police_district", "is not one of the 12 police districts"))
    if not UNIT_PATTERN.fullmatch(draft.kif_unit) or not draft.kif_unit.startswith("kif-"):
        errors.append(FieldError("kif_unit", "must be a KiF unit slug such as kif-hovedstaden"))
    elif kif_units is not None and draft.kif_unit not in kif_units:
        errors.append(FieldError("kif_unit", "is not a KiF unit of GET /reference/units"))
    errors.extend(_date_errors(draft, today))
    return errors


def _date_errors(draft: CaseDraft, today: dt.date) -> list[FieldError]:
    errors: list[FieldError] = []
    if draft.detained_since > today:
        errors.append(FieldError("detained_since", "must not be in the future"))
    if draft.released_on is not None and draft.released_on < draft.detained_since:
        errors.append(FieldError("released_on", "must not be before detained_since"))
    notified = draft.security_notified_on
    if draft.radicalisation_concern and notified is None:
        # Guide 3.3.6: a radicalisation concern is reported to Koncern Sikkerhed.
        errors.append(
            FieldError("security_notified_on", "is required with a radicalisation concern")
        )
    if notified is not None and not draft.radicalisation_concern:
        errors.append(
            FieldError("security_notified_on", "is recorded only with a radicalisation concern")
        )
    if notified is not None and notified > today:
        errors.append(FieldError("security_notified_on", "must not be in the future"))
    return errors


def check_case(custody: Custody, *, radicalisation_concern: bool) -> None:
    """Guide 3.3.7: a remand prisoner may only be listed with a radicalisation concern.

    § 115 stk. 2 also covers convicted people and young people under
    straffuldbyrdelseslovens § 78; those need no radicalisation concern.
    """
    if custody is Custody.REMAND and not radicalisation_concern:
        raise RemandRequiresRadicalisationConcern


def parse_case(
    draft: CaseDraft,
    *,
    case_id: str,
    submitter: Submitter,
    now: dt.datetime,
    kif_units: Collection[str] | None = None,
) -> Case:
    """Check every field and rule of a submission and return the case, or raise. With
    ``kif_units``, the case must be routed to one of them (a mistyped unit is lost)."""
    today = now.date()
    errors = _field_errors(draft, today, kif_units)
    if errors:
        raise InvalidInput(errors)
    check_case(draft.custody, radicalisation_concern=draft.radicalisation_concern)
    return Case(
        id=case_id,
        submitted_at=now,
        submitted_by=submitter,
        name=draft.name.strip(),
        cpr=parse_cpr(draft.cpr, today=today),
        custody=draft.custody,
        radicalisation_concern=draft.radicalisation_concern,
        security_notified_on=draft.security_notified_on,
        concern=draft.concern.strip(),
        municipality_code=draft.municipality_code,
        police_district=draft.police_district,
        kif_unit=draft.kif_unit,
        detained_since=draft.detained_since,
        released_on=draft.released_on,
        urgent=draft.urgent,
        meeting_id=draft.meeting_id,
    )


def _triage_reason(decision: TriageDecision, reason: str | None) -> str | None:
    text = reason.strip() if reason is not None else None
    if decision is TriageDecision.REJECTED and not text:
        raise InvalidInput([FieldError("reason", "is required when a case is rejected")])
    if text is not None and len(text) > MAX_TEXT:
        raise InvalidInput([FieldError("reason", f"must be at most {MAX_TEXT} characters")])
    if text is not None and (problem := text_problem(text)):
        raise InvalidInput([FieldError("reason", problem)])
    return text or None


def _status_after_triage(case: Case, decision: TriageDecision) -> CaseStatus:
    """A listed case stays ``listed`` while triaged for a meeting; otherwise the decision."""
    if case.status is CaseStatus.LISTED and decision is TriageDecision.MEETING:
        return CaseStatus.LISTED
    return CaseStatus(decision.value)


def triage(
    case: Case,
    decision: TriageDecision,
    reason: str | None,
    *,
    by_sub: str,
    now: dt.datetime,
    corrects: bool = False,
) -> Case:
    """Guide 3.3.7: KiF decides meeting, direct contact, or rejection; once, from
    ``submitted``. A wrong decision is corrected only on purpose (``corrects``, with a
    reason); the new decision replaces the old one, which stays in the history."""
    if case.status is CaseStatus.WITHDRAWN or (case.triage is None) is corrects:
        raise InvalidStatusTransition
    text = _triage_reason(decision, reason)
    if corrects and text is None:
        raise InvalidInput([FieldError("reason", "is required when a triage is corrected")])
    return replace(
        case,
        status=_status_after_triage(case, decision),
        triage=Triage(decision, text, now, by_sub, corrects=corrects),
    )


def reason_errors(reason: str) -> list[FieldError]:
    if not reason.strip() or len(reason) > MAX_TEXT:
        return [FieldError("reason", f"must be 1 to {MAX_TEXT} characters")]
    if problem := text_problem(reason):
        return [FieldError("reason", problem)]
    return []
