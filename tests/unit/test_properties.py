"""Property-based tests (hypothesis) for the time-window policy and the canonical form."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from ksp.domain.time_window import DEFAULT_POLICY, Suggestion, suggest
from ksp.journal.canonical import canonical

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))
days = st.integers(min_value=0, max_value=3650)


@given(dates, days, st.integers(min_value=-400, max_value=4000))
def test_inside_exactly_up_to_the_window_after_release_guide_3_3_7(
    detained: dt.date, detention: int, after: int
) -> None:
    """Property: inside iff asked no later than max(detention, 14) days after release."""
    released = detained + dt.timedelta(days=detention)
    result = suggest(
        DEFAULT_POLICY,
        detained_since=detained,
        released_on=released,
        received_on=released + dt.timedelta(days=after),
    )
    assert result.window_days == max(detention, 14)
    assert (result.suggestion is Suggestion.INSIDE) == (after <= max(detention, 14))


@given(dates, days, st.integers(min_value=0, max_value=4000), st.integers(0, 400))
def test_a_later_request_is_never_more_inside_guide_3_3_7(
    detained: dt.date, detention: int, after: int, more: int
) -> None:
    """Property: the window closes once; asking later never turns outside into inside."""
    released = detained + dt.timedelta(days=detention)

    def inside(offset: int) -> bool:
        return (
            suggest(
                DEFAULT_POLICY,
                detained_since=detained,
                released_on=released,
                received_on=released + dt.timedelta(days=offset),
            ).suggestion
            is Suggestion.INSIDE
        )

    assert inside(after) or not inside(after + more)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_the_canonical_form_is_a_fixed_point(value: object) -> None:
    """Property: canonical bytes parse back to data whose canonical bytes are the same."""
    once = canonical(value)
    assert canonical(json.loads(once)) == once


@given(
    st.dictionaries(
        st.text("abcdefgh", max_size=8), st.integers(-(2**53) + 1, 2**53 - 1), max_size=6
    )
)
def test_the_canonical_form_ignores_key_order(value: dict[str, int]) -> None:
    """Property: the same object in any key order has one canonical form."""
    reordered = dict(reversed(list(value.items())))
    assert canonical(value) == canonical(reordered)


@given(st.text(max_size=20))
def test_the_canonical_form_holds_text_in_nfc(text: str) -> None:
    """Property: NFD and NFC spellings of a name give the same bytes (and so the same hash)."""
    nfd, nfc = unicodedata.normalize("NFD", text), unicodedata.normalize("NFC", text)
    assert canonical({"name": nfd}) == canonical({"name": nfc})
