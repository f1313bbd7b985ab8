"""Corrections of a case: a wrong fact put right, with a reason, as a new revision; and a
case taken back (withdrawn). The merged case obeys every rule of a submission."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from ksp.domain.cases import Case, CaseDraft, CaseStatus, parse_case, reason_errors
from ksp.domain.cpr import Cpr
from ksp.domain.errors import FieldError, InvalidInput, InvalidStatusTransition

__all__ = ["CORRECTABLE", "Revision", "correct", "draft_of", "withdraw"]


@dataclass(frozen=True, slots=True)
class Revision:
    """One correction (or the withdrawal) of a case: which fields, why, by whom, when; and
    the values it replaced (personal data: stored encrypted)."""

    case_id: str
    revision: int
    fields: tuple[str, ...]
    reason: str
    by_sub: str
    by_unit: str
    at: dt.datetime
    before: Mapping[str, Any]


CORRECTABLE = (
    "subject.name",
    "subject.cpr",
    "custody",
    "radicalisation_concern",
    "security_notified_on",
    "concern",
    "municipality_code",
    "police_district",
    "detained_since",
    "released_on",
    "urgent",
)
_DRAFT_FIELD = {"subject.name": "name", "subject.cpr": "cpr"}


def draft_of(case: Case) -> CaseDraft:
    """The case's facts as a draft, for checking a correction against every rule again."""
    return CaseDraft(
        name=case.name,
        cpr=case.cpr.formatted,
        custody=case.custody,
        radicalisation_concern=case.radicalisation_concern,
        security_notified_on=case.security_notified_on,
        concern=case.concern,
        municipality_code=case.municipality_code,
        police_district=case.police_district,
        kif_unit=case.kif_unit,
        detained_since=case.detained_since,
        released_on=case.released_on,
        urgent=case.urgent,
        meeting_id=case.meeting_id,
    )


def correct(
    case: Case, changes: Mapping[str, Any], reason: str, *, now: dt.datetime
) -> tuple[Case, dict[str, Any]]:
    """The corrected case and, by field name, the values of the fields it really changed
    as they were before (JSON-ready), or raise. The
    merged case is checked against every rule of a submission again (guide 3.3.7: a remand
    case needs a radicalisation concern; 3.3.6: Koncern Sikkerhed told)."""
    if case.status is CaseStatus.WITHDRAWN:
        raise InvalidStatusTransition
    errors = reason_errors(reason)
    unknown = sorted(set(changes) - set(CORRECTABLE))
    errors += [FieldError(name, "cannot be corrected") for name in unknown]
    if not changes:
        errors.append(FieldError("reason", "name at least one field to correct"))
    if errors:
        raise InvalidInput(errors)
    before = draft_of(case)
    merged = replace(before, **{_DRAFT_FIELD.get(k, k): v for k, v in changes.items()})
    checked = parse_case(merged, case_id=case.id, submitter=case.submitted_by, now=now)
    replaced = {
        name: _plain(getattr(case, _DRAFT_FIELD.get(name, name)))
        for name in CORRECTABLE
        if getattr(checked, _DRAFT_FIELD.get(name, name))
        != getattr(case, _DRAFT_FIELD.get(name, name))
    }
    if not replaced:
        raise InvalidInput([FieldError(name, "is already so") for name in changes])
    kept = replace(checked, submitted_at=case.submitted_at, status=case.status, triage=case.triage)
    return kept, replaced


def _plain(value: object) -> object:
    if isinstance(value, Cpr):
        return value.formatted
    return value.isoformat() if isinstance(value, dt.date) else value


def withdraw(case: Case, reason: str) -> Case:
    """A case is withdrawn once, with a reason; it then joins no list."""
    if case.status is CaseStatus.WITHDRAWN:
        raise InvalidStatusTransition
    if errors := reason_errors(reason):
        raise InvalidInput(errors)
    return replace(case, status=CaseStatus.WITHDRAWN)
