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

__all__ = ["MAX_ENTRIES", "ListChange", "ListEntry", "apply_change", "check_base_version"]

MAX_REASON = 2000
MAX_ENTRIES = 500  # KSP_MAX_LIST_ENTRIES: a version stays small enough to seal and mail
_MAY_JOIN = frozenset({CaseStatus.MEETING, CaseStatus.LISTED})


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
    if case.status is CaseStatus.WITHDRAWN:
        return "is withdrawn"
    if case.status not in _MAY_JOIN:
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
    *,
    max_entries: int = MAX_ENTRIES,
) -> tuple[ListEntry, ...]:
    """The next list, or raise. A case joins only if triaged to ``meeting``, routed to the
    meeting's KiF unit, of the meeting's municipality and police district, and not
    withdrawn; the remand rule of guide 3.3.7 is checked again here. Entries that stay are
    taken afresh from ``cases`` where given, so a corrected case shows corrected; the list
    holds at most ``max_entries``."""
    errors = _check_shape(change, {entry.case_id for entry in current})
    kept_count = len(current) - len(set(change.remove))
    if kept_count + len(set(change.add)) > max_entries:
        errors.append(FieldError("add", f"would make the list longer than {max_entries} entries"))
    for index, case_id in enumerate(change.add):
        problem = _addition_error(cases.get(case_id), meeting)
        if problem is not None:
            errors.append(FieldError(f"add[{index}]", problem))
    if errors:
        raise InvalidInput(errors)
    for case_id in change.add:
        case = cases[case_id]
        check_case(case.custody, radicalisation_concern=case.radicalisation_concern)
    removed = set(change.remove)
    kept = [
        ListEntry.of(cases[entry.case_id]) if entry.case_id in cases else entry
        for entry in current
        if entry.case_id not in removed
    ]
    return (*kept, *(ListEntry.of(cases[case_id]) for case_id in change.add))
