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
    "PURPOSES",
    "Action",
    "CaseScope",
    "Principal",
    "Purpose",
    "Role",
    "authorise",
    "case_scope",
    "owns_meeting",
    "purpose_of",
    "reads_documents_of",
    "reads_when_circulated_to_unit",
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
    READ_VERSION = "read-version"  # one version: KiF, auditors, and those it went to
    READ_JOURNAL = "read-journal"
    MANAGE_RECIPIENTS = "manage-recipients"
    CIRCULATE = "circulate"
    READ_CIRCULATION = "read-circulation"
    ACTING_MUNICIPALITY = "acting-municipality"
    RECORD_INQUIRY = "record-inquiry"
    READ_INQUIRIES = "read-inquiries"
    DECIDE_INQUIRY = "decide-inquiry"
    RECORD_EXCHANGE = "record-exchange"
    MANAGE_MEETING = "manage-meeting"
    RECORD_MEETING = "record-meeting"
    READ_ACTIONS = "read-actions"
    UPDATE_ACTION = "update-action"
    READ_WORKLIST = "read-worklist"
    READ_INVITATION = "read-invitation"
    CORRECT_CASE = "correct-case"
    READ_REVISIONS = "read-revisions"
    WITHDRAW_CASE = "withdraw-case"
    SEARCH_CASES = "search-cases"
    READ_REFERENCE = "read-reference"
    READ_INCLUSION_PROOF = "read-inclusion-proof"
    READ_CONSISTENCY_PROOF = "read-consistency-proof"
    REQUEST_ERASURE = "request-erasure"
    COUNTERSIGN_ERASURE = "countersign-erasure"
    SUBJECT_ACCESS = "subject-access"


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
    Action.READ_VERSION: frozenset({Role.KIF, Role.AUDITOR, Role.PARTICIPANT}),
    Action.READ_JOURNAL: frozenset({Role.AUDITOR}),
    Action.MANAGE_RECIPIENTS: frozenset({Role.KIF}),
    Action.CIRCULATE: frozenset({Role.KIF}),
    Action.READ_CIRCULATION: frozenset({Role.KIF, Role.AUDITOR}),
    Action.ACTING_MUNICIPALITY: frozenset({Role.ARREST, Role.KIF}),
    Action.RECORD_INQUIRY: frozenset({Role.KIF, Role.PARTICIPANT}),
    Action.READ_INQUIRIES: frozenset({Role.KIF, Role.PARTICIPANT, Role.ARREST}),
    Action.DECIDE_INQUIRY: frozenset({Role.KIF}),
    Action.RECORD_EXCHANGE: frozenset({Role.KIF, Role.ARREST}),
    Action.MANAGE_MEETING: frozenset({Role.KIF}),
    Action.RECORD_MEETING: frozenset({Role.KIF}),
    Action.READ_ACTIONS: frozenset({Role.KIF, Role.PARTICIPANT}),
    Action.UPDATE_ACTION: frozenset({Role.KIF, Role.PARTICIPANT}),
    Action.READ_WORKLIST: frozenset({Role.KIF}),
    Action.READ_INVITATION: frozenset({Role.KIF, Role.PARTICIPANT}),
    Action.CORRECT_CASE: frozenset({Role.ARREST, Role.KIF}),
    Action.READ_REVISIONS: frozenset({Role.ARREST, Role.KIF}),
    Action.WITHDRAW_CASE: frozenset({Role.ARREST, Role.KIF}),
    Action.SEARCH_CASES: frozenset({Role.KIF}),
    Action.READ_REFERENCE: frozenset(Role),
    Action.READ_INCLUSION_PROOF: frozenset({Role.AUDITOR}),
    Action.READ_CONSISTENCY_PROOF: frozenset({Role.AUDITOR}),
    # A person's erasure: KiF, who handles the person's cases, asks; an auditor, another
    # person in another role, countersigns (README, "Data protection").
    Action.REQUEST_ERASURE: frozenset({Role.KIF}),
    Action.COUNTERSIGN_ERASURE: frozenset({Role.AUDITOR}),
    Action.SUBJECT_ACCESS: frozenset({Role.AUDITOR}),
}


class Purpose(StrEnum):
    """Why personal data was read (Directive 2016/680 art. 25: consultations and disclosures
    are logged with their justification)."""

    CASE_HANDLING = "case-handling"
    TRIAGE = "triage"
    MEETING_PREPARATION = "meeting-preparation"
    CIRCULATION = "circulation"
    INQUIRY = "inquiry"
    AUDIT = "audit"
    ERASURE = "erasure"
    SUBJECT_ACCESS = "subject-access"  # a data subject's request for access (art. 14-15)


# The purpose a read has by default, from the action it serves; X-KSP-Purpose refines it.
PURPOSES: dict[Action, Purpose] = {
    Action.SUBMIT_CASE: Purpose.CASE_HANDLING,
    Action.LIST_CASES: Purpose.CASE_HANDLING,
    Action.READ_CASE: Purpose.CASE_HANDLING,
    Action.TRIAGE_CASE: Purpose.TRIAGE,
    Action.READ_ACCESS_LOG: Purpose.AUDIT,
    Action.CREATE_MEETING: Purpose.MEETING_PREPARATION,
    Action.READ_MEETINGS: Purpose.MEETING_PREPARATION,
    Action.CHANGE_LIST: Purpose.MEETING_PREPARATION,
    Action.READ_DOCUMENTS: Purpose.MEETING_PREPARATION,
    Action.READ_VERSION: Purpose.MEETING_PREPARATION,
    Action.READ_JOURNAL: Purpose.AUDIT,
    Action.MANAGE_RECIPIENTS: Purpose.CIRCULATION,
    Action.CIRCULATE: Purpose.CIRCULATION,
    Action.READ_CIRCULATION: Purpose.CIRCULATION,
    Action.ACTING_MUNICIPALITY: Purpose.CASE_HANDLING,
    Action.RECORD_INQUIRY: Purpose.INQUIRY,
    Action.READ_INQUIRIES: Purpose.INQUIRY,
    Action.DECIDE_INQUIRY: Purpose.INQUIRY,
    Action.RECORD_EXCHANGE: Purpose.CASE_HANDLING,
    Action.MANAGE_MEETING: Purpose.MEETING_PREPARATION,
    Action.RECORD_MEETING: Purpose.MEETING_PREPARATION,
    Action.READ_ACTIONS: Purpose.MEETING_PREPARATION,
    Action.UPDATE_ACTION: Purpose.MEETING_PREPARATION,
    Action.READ_WORKLIST: Purpose.MEETING_PREPARATION,
    Action.READ_INVITATION: Purpose.MEETING_PREPARATION,
    Action.CORRECT_CASE: Purpose.CASE_HANDLING,
    Action.READ_REVISIONS: Purpose.CASE_HANDLING,
    Action.WITHDRAW_CASE: Purpose.CASE_HANDLING,
    Action.SEARCH_CASES: Purpose.CASE_HANDLING,
    Action.READ_REFERENCE: Purpose.CASE_HANDLING,
    Action.READ_INCLUSION_PROOF: Purpose.AUDIT,
    Action.READ_CONSISTENCY_PROOF: Purpose.AUDIT,
    Action.REQUEST_ERASURE: Purpose.ERASURE,
    Action.COUNTERSIGN_ERASURE: Purpose.ERASURE,
    Action.SUBJECT_ACCESS: Purpose.SUBJECT_ACCESS,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, from a verified token; ``purpose`` is that of the request
    it makes (set by the API's guard from the route's action)."""

    sub: str
    role: Role
    unit: str
    email: str | None = None
    purpose: Purpose | None = None
    name: str | None = None  # the person's name (the token's `name` claim), for documents


def purpose_of(principal: Principal, action: Action | None = None) -> Purpose:
    """The purpose a read by ``principal`` is logged with: the one its request carries, else
    the action's default; an auditor reads for audit whatever the action."""
    if principal.purpose is not None:
        return principal.purpose
    if principal.role is Role.AUDITOR:
        return Purpose.AUDIT
    if action is None:
        return Purpose.CASE_HANDLING
    return PURPOSES.get(action, Purpose.CASE_HANDLING)


def authorise(principal: Principal, action: Action) -> None:
    """Raise :class:`Forbidden` unless the principal's role may perform ``action``."""
    if principal.role not in PERMISSIONS[action]:
        raise Forbidden


@dataclass(frozen=True, slots=True)
class CaseScope:
    """The cases a caller may see: routed to its KiF unit, or submitted by its unit *in its
    role* (an ``arrest`` token naming a municipality's unit sees nothing that municipality's
    participants proposed)."""

    kif_unit: str | None = None
    submitted_by_unit: str | None = None
    submitted_by_role: str | None = None

    def covers(self, *, kif_unit: str, submitted_by_role: str, submitted_by_unit: str) -> bool:
        """Whether a case with these facts lies in the scope."""
        if self.kif_unit is not None:
            return kif_unit == self.kif_unit
        return (
            submitted_by_unit == self.submitted_by_unit
            and submitted_by_role == self.submitted_by_role
        )


def case_scope(principal: Principal) -> CaseScope:
    """KiF sees the cases routed to it; everyone else the cases their unit submitted in the
    same role."""
    if principal.role is Role.KIF:
        return CaseScope(kif_unit=principal.unit)
    return CaseScope(submitted_by_unit=principal.unit, submitted_by_role=principal.role.value)


def owns_meeting(principal: Principal, kif_unit: str) -> bool:
    """A meeting belongs to the KiF unit that called it; only that unit changes its list."""
    return principal.role is Role.KIF and principal.unit == kif_unit


def reads_documents_of(principal: Principal, kif_unit: str) -> bool:
    """KSP documents are read by the meeting's KiF unit, and by auditors (guide 3.3.7: "kun
    kunne tilgås af relevante medarbejdere")."""
    return principal.role is Role.AUDITOR or owns_meeting(principal, kif_unit)


def reads_when_circulated_to_unit(principal: Principal) -> bool:
    """Issue 11: a participant reads the versions circulated to a recipient of its unit (the
    version a notice announced, or a mail carried), and no other."""
    return principal.role is Role.PARTICIPANT


def sees_full_cpr(principal: Principal) -> bool:
    """CONTRACT.md: the CPR number is shown in full to ``kif`` only."""
    return principal.role is Role.KIF


def sees_personal_data(principal: Principal) -> bool:
    """Participants get no personal data by API beyond a masked CPR number."""
    return principal.role in (Role.KIF, Role.ARREST)
