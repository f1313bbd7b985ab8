"""The purpose of a read (Directive 2016/680 art. 25): derived from the action, refined by
the request, and the auditor's always audit."""

from __future__ import annotations

from ksp.domain.access import PURPOSES, Action, Principal, Purpose, Role, purpose_of


def test_every_action_has_a_purpose_of_its_own() -> None:
    """Directive 2016/680 art. 25(1): the logs "make it possible to establish the
    justification for" each consultation, so no action is left to a fallback."""
    assert set(PURPOSES) == set(Action)


def test_the_purpose_comes_from_the_action_unless_the_request_states_one() -> None:
    """A triage reads for triage; a stated purpose wins over the action's."""
    kif = Principal("s", Role.KIF, "kif-hovedstaden")
    assert purpose_of(kif, Action.TRIAGE_CASE) is Purpose.TRIAGE
    assert purpose_of(kif, Action.RECORD_INQUIRY) is Purpose.INQUIRY
    stated = Principal("s", Role.KIF, "kif-hovedstaden", purpose=Purpose.CIRCULATION)
    assert purpose_of(stated, Action.TRIAGE_CASE) is Purpose.CIRCULATION


def test_an_auditor_reads_for_audit_whatever_the_action() -> None:
    """Auditors read documents and circulations to audit them, not to prepare meetings."""
    auditor = Principal("a", Role.AUDITOR, "intern-revision")
    assert purpose_of(auditor, Action.READ_DOCUMENTS) is Purpose.AUDIT
    assert purpose_of(auditor) is Purpose.AUDIT
