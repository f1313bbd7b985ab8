"""The rules of guide 3.2.1 (acting municipality) and 3.3.7 (time window), in the pure core.

These are the first part of issue 5; the inquiries and decisions around them come later."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.domain.acting_municipality import Facts, acting_municipality
from ksp.domain.errors import InvalidInput
from ksp.domain.time_window import DEFAULT_POLICY, Suggestion, WindowPolicy, suggest

COPENHAGEN, ODENSE, AARHUS, AALBORG = 101, 461, 751, 851
DETAINED, RELEASED = dt.date(2026, 1, 1), dt.date(2026, 2, 1)  # one month (31 days)


def test_the_guides_example_two_weeks_after_a_month_is_inside_guide_3_3_7() -> None:
    """Guide 3.3.7: "Har den pågældende eksempelvis været indsat i en måned, vil en henvendelse
    fra kommunen to uger efter løsladelsen blive betragtet som værende umiddelbart i
    forbindelse med løsladelsen"."""
    result = suggest(
        DEFAULT_POLICY,
        detained_since=DETAINED,
        released_on=RELEASED,
        received_on=RELEASED + dt.timedelta(weeks=2),
    )
    assert (result.suggestion, result.window_days, result.policy) == (
        Suggestion.INSIDE,
        31,
        "detention-length/v1",
    )


def test_the_guides_example_three_months_after_is_outside_guide_3_3_7() -> None:
    """Guide 3.3.7: "en henvendelse tre måneder efter løsladelsen vil ... ikke blive betragtet
    som værende i tiden omkring løsladelsen"."""
    result = suggest(
        DEFAULT_POLICY,
        detained_since=DETAINED,
        released_on=RELEASED,
        received_on=dt.date(2026, 5, 1),
    )
    assert result.suggestion is Suggestion.OUTSIDE


def test_the_last_day_of_the_window_is_inside_and_the_next_is_outside_guide_3_3_7() -> None:
    """Boundaries: release + window days is the last day inside."""
    last = RELEASED + dt.timedelta(days=31)
    at = {
        d: suggest(
            DEFAULT_POLICY, detained_since=DETAINED, released_on=RELEASED, received_on=d
        ).suggestion
        for d in (last, last + dt.timedelta(days=1))
    }
    assert at == {last: Suggestion.INSIDE, last + dt.timedelta(days=1): Suggestion.OUTSIDE}


def test_a_short_detention_still_gets_the_minimum_window_guide_3_3_7() -> None:
    """A window of at least 14 days, however short the detention."""
    result = suggest(
        DEFAULT_POLICY,
        detained_since=dt.date(2026, 1, 30),
        released_on=RELEASED,
        received_on=RELEASED + dt.timedelta(days=14),
    )
    assert (result.suggestion, result.window_days) == (Suggestion.INSIDE, 14)


def test_an_unknown_detention_length_gives_no_suggestion_guide_3_3_7() -> None:
    """Without the detention's length there is nothing to suggest; KiF decides alone."""
    result = suggest(
        DEFAULT_POLICY, detained_since=None, released_on=RELEASED, received_on=RELEASED
    )
    assert (result.suggestion, result.window_days) == (None, None)


def test_the_policy_is_configurable_and_named_in_every_suggestion() -> None:
    """A stricter policy: half the detention, at least 7 days."""
    strict = WindowPolicy(name="half-detention", version=2, factor=0.5, minimum_days=7)
    result = suggest(
        strict,
        detained_since=DETAINED,
        released_on=RELEASED,
        received_on=RELEASED + dt.timedelta(days=20),
    )
    assert (result.suggestion, result.window_days, result.policy) == (
        Suggestion.OUTSIDE,
        16,
        "half-detention/v2",
    )


def test_a_citizen_who_kept_the_home_keeps_the_municipality_for_all_help_guide_3_2_1() -> None:
    """Guide 3.2.1: "Den hidtidige handlekommune vedbliver med at være handlekommune for al
    hjælp til borgeren efter retssikkerhedslovens § 9, stk. 1"."""
    result = acting_municipality(
        Facts(kept_home=True, previous_municipality_code=ODENSE, jail_municipality_code=COPENHAGEN)
    )
    assert (result.social_services_municipality_code, result.other_help_municipality_code) == (
        ODENSE,
        ODENSE,
    )
    assert (
        result.social_services_rule == result.other_help_rule == ("retssikkerhedsloven § 9, stk. 1")
    )


def test_a_citizen_who_lost_the_home_splits_social_services_and_other_help_guide_3_2_1() -> None:
    """Guide 3.2.1: social-service matters stay (§ 9 stk. 3); the jail's municipality acts for
    other help (§ 9 stk. 1)."""
    result = acting_municipality(
        Facts(kept_home=False, previous_municipality_code=ODENSE, jail_municipality_code=COPENHAGEN)
    )
    assert (result.social_services_municipality_code, result.social_services_rule) == (
        ODENSE,
        "retssikkerhedsloven § 9, stk. 3",
    )
    assert (result.other_help_municipality_code, result.other_help_rule) == (
        COPENHAGEN,
        "retssikkerhedsloven § 9, stk. 1",
    )


def test_a_married_citizen_living_with_the_spouse_belongs_to_the_common_home_guide_3_2_1() -> None:
    """Guide 3.2.1: "En borger, der er gift og har fælles bopæl med sin ægtefælle, har
    handlekommune i den kommune, hvor den fælles bopæl er" (§ 9 stk. 2)."""
    result = acting_municipality(
        Facts(
            kept_home=False,
            previous_municipality_code=ODENSE,
            jail_municipality_code=COPENHAGEN,
            married_living_together=True,
            common_home_municipality_code=AARHUS,
        )
    )
    assert (
        result.social_services_municipality_code,
        result.other_help_municipality_code,
        result.social_services_rule,
    ) == (AARHUS, AARHUS, "retssikkerhedsloven § 9, stk. 2")


def test_actual_residence_not_the_registered_address_decides_guide_3_2_1() -> None:
    """Guide 3.2.1: "Det er borgerens faktiske ophold og ikke adresseregistreringen, der som
    udgangspunkt er afgørende"."""
    result = acting_municipality(
        Facts(
            kept_home=True,
            previous_municipality_code=ODENSE,
            jail_municipality_code=COPENHAGEN,
            actual_residence_municipality_code=AALBORG,
        )
    )
    assert result.social_services_municipality_code == AALBORG


def test_disagreeing_municipalities_leave_the_last_registered_one_acting_for_now_guide_3_2_1() -> (
    None
):
    """Guide 3.2.1: disagreement is settled by § 9 stk. 8; until then the municipality of the
    last registration takes the temporary duty to act."""
    result = acting_municipality(
        Facts(
            kept_home=False,
            previous_municipality_code=ODENSE,
            jail_municipality_code=COPENHAGEN,
            actual_residence_municipality_code=AALBORG,
            municipalities_disagree=True,
        )
    )
    assert (
        result.social_services_municipality_code,
        result.other_help_municipality_code,
        result.other_help_rule,
    ) == (ODENSE, ODENSE, "retssikkerhedsloven § 9, stk. 8")


def test_unknown_municipalities_and_a_missing_common_home_are_refused() -> None:
    """411 Christiansø is not a municipality; a common home needs its municipality."""
    with pytest.raises(InvalidInput) as caught:
        acting_municipality(
            Facts(
                kept_home=True,
                previous_municipality_code=411,
                jail_municipality_code=COPENHAGEN,
                married_living_together=True,
            )
        )
    assert {e.field for e in caught.value.errors} == {
        "previous_municipality_code",
        "common_home_municipality_code",
    }
