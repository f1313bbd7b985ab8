"""CPR numbers (DOMAIN.md "Personal data"): 10 digits, DDMMYY-SSSS, the 7th digit with the
year gives the century, and no modulus-11 check."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.domain.cpr import Cpr, InvalidCpr, parse_cpr

TODAY = dt.date(2026, 11, 27)

# (cpr, birth date): the century rule of the CPR office, one vector per branch.
CENTURY_VECTORS = [
    ("0101370123", dt.date(1937, 1, 1)),  # 7th digit 0-3: 1900s
    ("0101364123", dt.date(2036, 1, 1)),  # 7th digit 4, year < 37: 2000s (future: refused below)
    ("0101374123", dt.date(1937, 1, 1)),  # 7th digit 4, year >= 37: 1900s
    ("0101575123", dt.date(2057, 1, 1)),  # 7th digit 5-8, year < 58: 2000s
    ("0101585123", dt.date(1858, 1, 1)),  # 7th digit 5-8, year >= 58: 1800s
    ("0101369123", dt.date(2036, 1, 1)),  # 7th digit 9, year < 37: 2000s
    ("0101379123", dt.date(1937, 1, 1)),  # 7th digit 9, year >= 37: 1900s
    ("0101104123", dt.date(2010, 1, 1)),
]


@pytest.mark.parametrize(("text", "born"), CENTURY_VECTORS)
def test_the_century_comes_from_the_seventh_digit(text: str, born: dt.date) -> None:
    """DOMAIN.md: the 7th digit with the year gives the century."""
    assert Cpr(text).birth_date == born


def test_numbers_that_fail_modulus_11_are_accepted() -> None:
    """DOMAIN.md: since 2007 not every CPR number passes modulus 11; it must not be required."""
    weights = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
    cpr = parse_cpr("010190-1235", today=TODAY)
    assert sum(int(d) * w for d, w in zip(cpr.digits, weights, strict=True)) % 11 != 0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "123",
        "01019012345",
        "010190_1234",
        "0101901a34",
        "١٢٣٤٥٦٧٨٩٠",
        "3102901234",
        "0013901234",
        "2902011234",
        "0101364123",
    ],
)
def test_malformed_or_impossible_numbers_are_refused_without_quoting_them(text: str) -> None:
    """One negative vector per kind: length, characters, day, month, leap day, future birth."""
    with pytest.raises(InvalidCpr) as caught:
        parse_cpr(text, today=TODAY)
    assert text.strip() == "" or text.strip() not in str(caught.value)


def test_the_hyphen_is_optional_and_the_output_is_canonical() -> None:
    """10 digits with or without the hyphen are the same number."""
    assert parse_cpr("010190-1234", today=TODAY) == parse_cpr("0101901234", today=TODAY)
    cpr = parse_cpr("0101901234", today=TODAY)
    assert (cpr.formatted, cpr.masked) == ("010190-1234", "010190-XXXX")


def test_a_cpr_never_shows_itself_in_repr_or_str() -> None:
    """A CPR number that reaches a log line by accident shows nothing."""
    cpr = parse_cpr("0101901234", today=TODAY)
    assert "1234" not in repr(cpr)
    assert "010190" not in f"{cpr}"


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
    st.integers(0, 3),
    st.integers(0, 999),
    st.booleans(),
)
def test_every_real_birth_date_of_the_1900s_parses_back_to_itself(
    born: dt.date, seventh: int, serial: int, hyphen: bool
) -> None:
    """Property: a number made from a real date parses, keeps its digits and its date."""
    digits = f"{born:%d%m%y}{seventh}{serial:03d}"
    text = f"{digits[:6]}-{digits[6:]}" if hyphen else digits
    cpr = parse_cpr(text, today=TODAY)
    assert cpr.digits == digits
    assert cpr.birth_date == born


@given(st.text(max_size=14))
def test_arbitrary_text_either_parses_to_ten_digits_or_raises_invalid_cpr(text: str) -> None:
    """Property: no input makes the parser fail in any other way."""
    try:
        cpr = parse_cpr(text, today=TODAY)
    except InvalidCpr:
        return
    assert len(cpr.digits) == 10
    assert cpr.digits.isdigit()
