"""The text rules (ksp.domain.text): what a person's text may hold, in one place."""

from __future__ import annotations

import datetime as dt

import pytest

from ksp.domain.meetings import schedule_problem
from ksp.domain.text import (
    address_problem,
    header_problem,
    hidden_problem,
    line_problem,
    text_problem,
    title_problem,
)

HIDDEN = [
    *(chr(c) for c in range(0x202A, 0x202F)),  # LRE RLE PDF LRO RLO
    *(chr(c) for c in range(0x2066, 0x206A)),  # LRI RLI FSI PDI
    "\u200e",
    "\u200f",
    "\u061c",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
]
LINE_BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1c", "\x1e"]
ENCODED_WORDS = [
    "=?utf-8?q?x=0D=0AReply-To:_evil@example.org?=",
    "=?UTF-8?B?DQpGcm9tOiBldmlsQGV4YW1wbGUub3Jn?=",
    "=?iso-8859-1?q?M=F8de?=",
]
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("char", HIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_and_zero_width_characters_are_refused_in_lines_and_texts(
    char: str,
) -> None:
    """Finding 11: a name or text must read as what it holds (no bidi, no zero width)."""
    value = f"Jens{char}Hansen"
    assert hidden_problem(value)
    assert line_problem(value)
    assert text_problem(value)
    assert header_problem(value)


@pytest.mark.parametrize("separator", LINE_BREAKS, ids=lambda c: f"U+{ord(c[0]):04X}")
def test_every_line_separator_is_refused_in_a_single_line(separator: str) -> None:
    """Finding 3: a title or name that became a header can never hold a line break."""
    value = f"Møde{separator}Reply-To: evil@example.org"
    assert line_problem(value)
    assert title_problem(value)
    assert header_problem(value)


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"])
def test_free_text_keeps_line_breaks_and_tabs_but_no_other_separator(separator: str) -> None:
    """Free text (a concern, a reason) may hold CR, LF and tab, nothing else of the kind."""
    assert text_problem("Første linje\r\nAnden linje\tmed tab") is None
    assert text_problem(f"Første linje{separator}Anden") is not None


@pytest.mark.parametrize("word", ENCODED_WORDS)
def test_an_rfc_2047_encoded_word_is_refused_in_a_line_and_a_header(word: str) -> None:
    """Finding 3: the header parser decodes ``=?...?=`` (``=0D=0A`` becomes a raw CRLF)."""
    assert line_problem(f"KSP-møde {word}")
    assert header_problem(f"KSP-liste: {word}, version 1")


def test_ordinary_danish_text_passes_every_rule() -> None:
    """Letters, digits and punctuation of Danish text are not refused."""
    value = "KSP-møde Århus: Søren & Åse (10.00-12.00), 2. sal?"
    assert line_problem(value) is None
    assert text_problem(value) is None
    assert title_problem(value) is None
    assert header_problem(value) is None


@pytest.mark.parametrize("cpr", ["010190-1234", "0101901234", "010190 1234", "Møde om 0101901234"])
def test_a_cpr_shaped_string_in_a_meeting_title_is_refused(cpr: str) -> None:
    """Titles are stored unencrypted by design: they must not name a person."""
    problem = title_problem(cpr)
    assert problem is not None
    assert "must not name a person" in problem


def test_numbers_that_are_not_cpr_shaped_stay_in_a_title() -> None:
    """A date, a room number or a phone number is not a CPR number."""
    assert title_problem("Møde 10.12.2026 lokale 4012, tlf. 72 55 55 55") is None


@pytest.mark.parametrize(
    "address",
    [
        "=?utf-8?q?a=0D=0ABcc:_x@example.org?=@kommune.dk",
        "=?utf-8?q?a?=@kommune.dk",
        "a\r\n@kommune.dk",
        "a@kommune.dk\n",
        "a\x00b@kommune.dk",
        "\u212aevin@kommune.dk",  # Kelvin sign
        "a\u200b@kommune.dk",
        "Jens <a@kommune.dk>",
        "a@kommune",
        f"{'a' * 65}@kommune.dk",
    ],
)
def test_an_address_with_encoded_words_controls_or_non_ascii_is_refused(address: str) -> None:
    """Finding 3: the address goes into the To header and the envelope exactly as stored."""
    assert address_problem(address) == "is not an e-mail address"


def test_a_plain_address_is_accepted() -> None:
    """An ordinary address with dots, plus and hyphens passes."""
    assert address_problem("jens.hansen+ksp@kk.kommune-101.dk") is None


@pytest.mark.parametrize(
    ("scheduled_for", "refused"),
    [
        (dt.datetime(2020, 3, 1, 10, tzinfo=dt.UTC), True),
        (NOW - dt.timedelta(days=1, seconds=1), True),
        (NOW - dt.timedelta(hours=23), False),
        (NOW + dt.timedelta(days=30), False),
        (dt.datetime(2028, 11, 27, 9, tzinfo=dt.UTC), False),
        (dt.datetime(2028, 11, 27, 11, tzinfo=dt.UTC), True),
        (dt.datetime(9999, 12, 31, tzinfo=dt.UTC), True),
    ],
)
def test_a_meeting_lies_at_most_a_day_back_and_two_years_ahead(
    scheduled_for: dt.datetime, refused: bool
) -> None:
    """A meeting in 2020 is a typing error; so is one more than two years ahead."""
    assert (schedule_problem(scheduled_for, NOW) is not None) is refused


def test_two_years_ahead_of_29_february_is_28_february() -> None:
    """The window's end exists in every year."""
    leap = dt.datetime(2028, 2, 29, 12, tzinfo=dt.UTC)
    assert schedule_problem(dt.datetime(2030, 2, 28, 12, tzinfo=dt.UTC), leap) is None
    assert schedule_problem(dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC), leap) is not None
