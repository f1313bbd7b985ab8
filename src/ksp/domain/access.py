"""Who may do what: the one table of CONTRACT.md's roles, and unit scoping.

Every route names the :class:`Action` it performs; :func:`authorise` checks the role
against :data:`PERMISSIONS`. Which rows a caller may see within a permitted action is
decided by :func:`case_scope` and :func:`sees_case` (a foreign unit's case is "not found",
so that even its existence does not leak).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ksp.domain.errors import Forbidden

__all__ = [
    "PERMISSIONS",
    "Action",
    "CaseScope",
    "Principal",
    "Role",
    "authorise",
    "case_scope",
    "owns_meeting",
    "reads_documents_of",
    "sees_full_cpr",
    "sees_personal_data",
]


class Role(StrEnum):
    ARREST = "arrest"
    KIF = "kif"
    PARTICIPANT = "participant"
    AUDITOR = "auditor"


class Action(StrEnum):
    SUBMIT_CASE = "submit-case"
    LIST_CASES = "list-cases"
    READ_CASE = "read-case"
    TRIAGE_CASE = "triage-case"
    READ_ACCESS_LOG = "read-access-log"
    CREATE_MEETING = "create-meeting"
    READ_MEETINGS = "read-meetings"
    CHANGE_LIST = "change-list"
    READ_DOCUMENTS = "read-documents"
    READ_JOURNAL = "read-journal"
    MANAGE_RECIPIENTS = "manage-recipients"
    CIRCULATE = "circulate"
    READ_CIRCULATION = "read-circulation"
    ACTING_MUNICIPALITY = "acting-municipality"
    RECORD_INQUIRY = "record-inquiry"
    READ_INQUIRIES = "read-inquiries"
    DECIDE_INQUIRY = "decide-inquiry"
    RECORD_EXCHANGE = "record-exchange"
    READ_INCLUSION_PROOF = "read-inclusion-proof"
    READ_CONSISTENCY_PROOF = "read-consistency-proof"


PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.SUBMIT_CASE: frozenset({Role.ARREST, Role.KIF, Role.PARTICIPANT}),
    Action.LIST_CASES: frozenset({Role.ARREST, Role.KIF, Role.PARTICIPANT}),
    Action.READ_CASE: frozenset({Role.ARREST, Role.KIF, Role.PARTICIPANT}),
    Action.TRIAGE_CASE: frozenset({Role.KIF}),
    Action.READ_ACCESS_LOG: frozenset({Role.AUDITOR}),
    Action.CREATE_MEETING: frozenset({Role.KIF}),
    Action.READ_MEETINGS: frozenset({Role.KIF, Role.PARTICIPANT}),
    Action.CHANGE_LIST: frozenset({Role.KIF}),
    Action.READ_DOCUMENTS: frozenset({Role.KIF, Role.AUDITOR}),
    Action.READ_JOURNAL: frozenset({Role.AUDITOR}),
    Action.MANAGE_RECIPIENTS: frozenset({Role.KIF}),
    Action.CIRCULATE: frozenset({Role.KIF}),
    Action.READ_CIRCULATION: frozenset({Role.KIF, Role.AUDITOR}),
    Action.ACTING_MUNICIPALITY: frozenset({Role.ARREST, Role.KIF}),
    Action.RECORD_INQUIRY: frozenset({Role.KIF, Role.PARTICIPANT}),
    Action.READ_INQUIRIES: frozenset({Role.KIF, Role.PARTICIPANT, Role.ARREST}),
    Action.DECIDE_INQUIRY: frozenset({Role.KIF}),
    Action.RECORD_EXCHANGE: frozenset({Role.KIF, Role.ARREST}),
    Action.READ_INCLUSION_PROOF: frozenset({Role.AUDITOR}),
    Action.READ_CONSISTENCY_PROOF: frozenset({Role.AUDITOR}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, from a verified token."""

    sub: str
    role: Role
    unit: str
    email: str | None = None


def authorise(principal: Principal, action: Action) -> None:
    """Raise :class:`Forbidden` unless the principal's role may perform ``action``."""
    if principal.role not in PERMISSIONS[action]:
        raise Forbidden


@dataclass(frozen=True, slots=True)
class CaseScope:
    """The cases a caller may see: routed to its KiF unit, or submitted by its unit."""

    kif_unit: str | None = None
    submitted_by_unit: str | None = None


def case_scope(principal: Principal) -> CaseScope:
    """KiF sees the cases routed to it; everyone else the cases their unit submitted."""
    if principal.role is Role.KIF:
        return CaseScope(kif_unit=principal.unit)
    return CaseScope(submitted_by_unit=principal.unit)


def owns_meeting(principal: Principal, kif_unit: str) -> bool:
    """A meeting belongs to the KiF unit that called it; only that unit changes its list."""
    return principal.role is Role.KIF and principal.unit == kif_unit


def reads_documents_of(principal: Principal, kif_unit: str) -> bool:
    """KSP documents are read by the meeting's KiF unit, and by auditors (guide 3.3.7: "kun
    kunne tilgås af relevante medarbejdere")."""
    return principal.role is Role.AUDITOR or owns_meeting(principal, kif_unit)


def sees_full_cpr(principal: Principal) -> bool:
    """CONTRACT.md: the CPR number is shown in full to ``kif`` only."""
    return principal.role is Role.KIF


def sees_personal_data(principal: Principal) -> bool:
    """Participants get no personal data by API beyond a masked CPR number."""
    return principal.role in (Role.KIF, Role.ARREST)
