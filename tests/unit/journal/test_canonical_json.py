"""Canonical JSON: RFC 8785 (JCS) bytes over NFC text, checked against the RFC's vectors."""

from __future__ import annotations

import struct

import pytest

from ksp.journal.canonical import canonical


def test_the_rfc_example_sorts_escapes_and_formats_numbers() -> None:
    """RFC 8785 section 3.2.2: literals, shortest numbers, minimal escapes, sorted keys."""
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    assert canonical(value) == (
        b'{"literals":[null,true,false],'
        b'"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        b'"string":"\xe2\x82\xac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )


def test_keys_sort_by_their_utf16_code_units() -> None:
    """RFC 8785 section 3.2.3: an emoji (a surrogate pair) sorts after the euro sign."""
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    assert canonical(value) == (
        b'{"\\r":"Carriage Return","1":"One","\xc2\x80":"Control",'
        b'"\xc3\xb6":"Latin Small Letter O With Diaeresis","\xe2\x82\xac":"Euro Sign",'
        b'"\xf0\x9f\x98\x80":"Emoji: Grinning Face"}'
    )


@pytest.mark.parametrize(
    ("ieee754", "expected"),
    [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af6", "1e+23"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ],
)
def test_numbers_serialise_as_rfc_8785_appendix_b_says(ieee754: str, expected: str) -> None:
    """Each double has exactly one spelling (ECMAScript's shortest round trip)."""
    (number,) = struct.unpack(">d", bytes.fromhex(ieee754))
    assert canonical(number) == expected.encode("ascii")


def test_every_string_is_normalised_to_nfc_keys_and_values_alike() -> None:
    """Two spellings of the same text give the same bytes, however deeply nested."""
    decomposed = {"Se\u0301verine": ["Aarhus, re\u0301sume\u0301", ("e\u0301",)]}
    composed = {"S\u00e9verine": ["Aarhus, r\u00e9sum\u00e9", ["\u00e9"]]}
    assert canonical(decomposed) == canonical(composed)
    assert canonical("e\u0301") == b'"\xc3\xa9"'


def test_nfc_can_change_a_keys_sort_position() -> None:
    """U+FB33 is excluded from composition, so NFC decomposes it before sorting."""
    assert canonical({"\ufb33": 1}) == b'{"\xd7\x93\xd6\xbc":1}'


def test_keys_that_collide_under_nfc_are_refused() -> None:
    """Merging them would silently drop a value."""
    with pytest.raises(ValueError, match="NFC"):
        canonical({"\u00e9": 1, "e\u0301": 2})


@pytest.mark.parametrize(
    "value",
    [
        {"entries": [{"navn": "a", "\u00c5se": "b", "A\u030ase": "c"}]},
        {"meeting": {"A\u030a": 1, "\u00c5": 2}},
        [{"\u212b": 1, "\u00c5": 2}],  # the ångström sign is Å under NFC
    ],
    ids=["in-a-list-entry", "in-a-nested-object", "angstrom-sign"],
)
def test_keys_that_differ_only_in_normalisation_are_refused_at_any_depth(value: object) -> None:
    """A collision deep in a document raises too; nothing is kept silently."""
    with pytest.raises(ValueError, match="NFC"):
        canonical(value)


def test_keys_that_only_look_alike_are_both_kept() -> None:
    """NFC, not NFKC: the ligature "ﬁ" and "fi" are two keys, and both stay."""
    assert canonical({"\ufb01": 1, "fi": 2}) == '{"fi":2,"\ufb01":1}'.encode()


@pytest.mark.parametrize(
    "value", [2**53, float("nan"), float("inf"), b"bytes", {1, 2}, "\ud800"], ids=repr
)
def test_values_json_cannot_carry_exactly_are_refused(value: object) -> None:
    """Big integers, NaN, infinities, bytes, sets and lone surrogates have no JCS form."""
    with pytest.raises(ValueError, match=r"."):
        canonical(value)


def test_keys_must_be_strings() -> None:
    """JSON objects have string keys only."""
    with pytest.raises(TypeError, match="strings"):
        canonical({1: "one"})
