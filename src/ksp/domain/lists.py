"""The KSP list of a meeting and how it changes (guide 3.3.7).

"KiF er desuden ansvarlig for at oprette et KSP-dokument med de sager, som ønskes drøftet på
KSP-møderne. Dokumentet skal indeholde navn, CPR-nummer samt årsag til bekymring" — and a
journalised document cannot be updated, so every change makes a new version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ksp.domain.cases import Case, CaseStatus, check_case
from ksp.domain.errors import FieldError, InvalidInput, NotLatestVersion
from ksp.domain.meetings import Meeting
from ksp.domain.text import text_problem

__all__ = ["ListChange", "ListEntry", "apply_change", "check_base_version"]

MAX_REASON = 2000


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One person on the list: what guide 3.3.7 names, plus custody and who submitted."""

    case_id: str
    name: str
    cpr: str
    concern: str
    custody: str
    submitted_by_unit: str

    @classmethod
    def of(cls, case: Case) -> ListEntry:
        return cls(
            case.id,
            case.name,
            case.cpr.formatted,
            case.concern,
            case.custody.value,
            case.submitted_by.unit,
        )


@dataclass(frozen=True, slots=True)
class ListChange:
    add: tuple[str, ...]
    remove: tuple[str, ...]
    reason: str
    base_version: int | None


def check_base_version(change: ListChange, latest: int) -> None:
    """The caller must have seen the latest version (0: none yet), or nothing is written."""
    if (change.base_version or 0) != latest:
        raise NotLatestVersion


def _addition_error(case: Case | None, meeting: Meeting) -> str | None:
    if case is None or case.kif_unit != meeting.kif_unit:
        return "does not name a case of this KiF unit"
    if case.status is not CaseStatus.MEETING:
        return "is not triaged for a meeting"
    if case.municipality_code != meeting.municipality_code:
        return "belongs to another municipality than the meeting's"
    if case.police_district != meeting.police_district:
        return "belongs to another police district than the meeting's"
    return None


def _check_shape(change: ListChange, current_ids: set[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if not change.add and not change.remove:
        errors.append(FieldError("add", "add or remove at least one case"))
    if not change.reason.strip() or len(change.reason) > MAX_REASON:
        errors.append(FieldError("reason", f"must be 1 to {MAX_REASON} characters"))
    elif problem := text_problem(change.reason):
        errors.append(FieldError("reason", problem))
    if len(set(change.add)) != len(change.add) or set(change.add) & set(change.remove):
        errors.append(FieldError("add", "names a case twice"))
    errors += [
        FieldError(f"add[{i}]", "is already on the list")
        for i, case_id in enumerate(change.add)
        if case_id in current_ids
    ]
    errors += [
        FieldError(f"remove[{i}]", "is not on the list")
        for i, case_id in enumerate(change.remove)
        if case_id not in current_ids
    ]
    return errors


def apply_change(
    meeting: Meeting,
    current: Sequence[ListEntry],
    change: ListChange,
    cases: Mapping[str, Case],
) -> tuple[ListEntry, ...]:
    """The next list, or raise. A case joins only if triaged to ``meeting``, routed to the
    meeting's KiF unit, of the meeting's municipality and police district; the remand rule
    of guide 3.3.7 is checked again here."""
    errors = _check_shape(change, {entry.case_id for entry in current})
    for index, case_id in enumerate(change.add):
        problem = _addition_error(cases.get(case_id), meeting)
        if problem is not None:
            errors.append(FieldError(f"add[{index}]", problem))
    if errors:
        raise InvalidInput(errors)
    for case_id in change.add:
        case = cases[case_id]
        check_case(case.custody, radicalisation_concern=case.radicalisation_concern)
    kept = [entry for entry in current if entry.case_id not in set(change.remove)]
    return (*kept, *(ListEntry.of(cases[case_id]) for case_id in change.add))
