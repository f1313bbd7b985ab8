"""Telling the detainee, the note duty and KiF's decisions, in the pure core (guide 3.3.7)."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.domain.cpr import parse_cpr
from ksp.domain.errors import InvalidInput, NotificationOmissionNeedsManager
from ksp.domain.exchanges import (
    NoteDraft,
    NoteWhere,
    NotificationDraft,
    check_note,
    check_notification,
)
from ksp.domain.inquiries import Inquiry, check_decision
from ksp.domain.time_window import Suggestion, WindowSuggestion

TODAY = dt.date(2026, 11, 27)
OCCURRED = dt.date(2026, 11, 20)  # the exchange the decision is about


def test_a_told_detainee_needs_when_and_how_guide_3_3_7() -> None:
    """Guide 3.3.7: "Den indsatte skal som udgangspunkt altid orienteres" — told, when, how."""
    check_notification(NotificationDraft(told=True, told_on=TODAY, how="Samtale"), TODAY, OCCURRED)
    with pytest.raises(InvalidInput) as caught:
        check_notification(NotificationDraft(told=True, told_on=None, how=""), TODAY, OCCURRED)
    assert [e.field for e in caught.value.errors] == ["how", "told_on"]
    future = TODAY + dt.timedelta(days=1)
    with pytest.raises(InvalidInput):
        check_notification(
            NotificationDraft(told=True, told_on=future, how="Brev"), TODAY, OCCURRED
        )


def test_not_telling_needs_a_reason_a_manager_and_when_guide_3_3_7() -> None:
    """Guide 3.3.7: leaving it out "bør drøftes med nærmeste leder" — reason, manager, date."""
    check_notification(
        NotificationDraft(told=False, reason="Beskyttelse", manager="Leder A", discussed_on=TODAY),
        TODAY,
        OCCURRED,
    )
    for missing in ("reason", "manager", "discussed_on"):
        values: dict[str, object] = {
            "reason": "Beskyttelse",
            "manager": "Leder A",
            "discussed_on": TODAY,
        }
        values[missing] = None
        with pytest.raises(NotificationOmissionNeedsManager):
            check_notification(NotificationDraft(told=False, **values), TODAY, OCCURRED)  # type: ignore[arg-type]


def test_the_note_duty_needs_a_reason_only_when_nothing_was_noted_guide_3_3_7() -> None:
    """Guide 3.3.7 ("Notatpligt"): noted in the action plan or person journal, or why not."""
    check_note(NoteDraft(where=NoteWhere.HANDLEPLAN))
    check_note(NoteDraft(where=NoteWhere.NONE, reason="Ikke relevant for handleplanen"))
    with pytest.raises(InvalidInput) as caught:
        check_note(NoteDraft(where=NoteWhere.NONE))
    assert [e.field for e in caught.value.errors] == ["reason"]


def inquiry(suggestion: Suggestion | None) -> Inquiry:
    return Inquiry(
        id="i1",
        kif_unit="kif-hovedstaden",
        cpr=parse_cpr("010190-1234", today=dt.date(2026, 11, 27)),
        from_agency="municipality",  # type: ignore[arg-type]
        received_on=TODAY,
        detained_since=None,
        released_on=None,
        window=WindowSuggestion(suggestion, 30 if suggestion else None, "detention-length/1"),
        created_at=dt.datetime(2026, 11, 27, tzinfo=dt.UTC),
        created_by_sub="kif-1",
        created_by_unit="kif-hovedstaden",
    )


def test_a_decision_that_follows_the_suggestion_needs_no_justification_guide_3_3_7() -> None:
    """Guide 3.3.7 ("Tidsafgrænsning"): KiF decides; following the suggestion is enough."""
    check_decision(inquiry(Suggestion.INSIDE), eligible=True, justification=None)
    check_decision(inquiry(Suggestion.OUTSIDE), eligible=False, justification=None)


def test_departing_from_or_lacking_a_suggestion_needs_a_justification_guide_3_3_7() -> None:
    """Guide 3.3.7: the window is individual; a departure is justified in writing."""
    for case, eligible in ((Suggestion.INSIDE, False), (Suggestion.OUTSIDE, True), (None, True)):
        with pytest.raises(InvalidInput) as caught:
            check_decision(inquiry(case), eligible=eligible, justification="  ")
        assert [e.field for e in caught.value.errors] == ["justification"]
    check_decision(
        inquiry(Suggestion.OUTSIDE), eligible=True, justification="Længerevarende kontakt"
    )
