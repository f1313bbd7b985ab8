"""Entry headers: one canonical encoding, parsed back only in exactly that shape."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest
import rfc8785

from ksp.journal.entry import (
    GENESIS,
    EntryHeader,
    MalformedEntry,
    encode_header,
    entry_hash,
    parse_header,
)
from ksp.journal.merkle import leaf_hash

HEADER = EntryHeader(
    seq=2,
    kind="version",
    ref="list-7",
    author="kf:unit-7",
    created_at="2025-03-01T12:30:00+01:00",
    ciphertext_sha256="ab" * 32,
    plaintext_sha256="cd" * 32,
    prev="ef" * 32,
)
ENCODED = (
    b'{"author":"kf:unit-7","ciphertext_sha256":"' + b"ab" * 32 + b'",'
    b'"created_at":"2025-03-01T12:30:00+01:00","kind":"version",'
    b'"plaintext_sha256":"' + b"cd" * 32 + b'","prev":"' + b"ef" * 32 + b'",'
    b'"ref":"list-7","seq":2,"v":1}'
)


def test_a_header_encodes_to_canonical_json_with_a_format_version() -> None:
    """The bytes are the JCS object of the eight fields and "v": 1."""
    assert encode_header(HEADER) == ENCODED


def test_a_header_round_trips() -> None:
    """parse_header gives back exactly the header that was encoded."""
    assert parse_header(encode_header(HEADER)) == HEADER


def test_the_entry_hash_is_the_merkle_leaf_hash_of_the_stored_bytes() -> None:
    """One value is both the chain link and the Merkle leaf."""
    assert entry_hash(ENCODED) == leaf_hash(ENCODED)
    assert bytes(32) == GENESIS


def test_text_is_stored_in_nfc() -> None:
    """A decomposed author is stored composed, and parses back composed."""
    header = dataclasses.replace(HEADER, author="S\u00f8ren Se\u0301verin")
    assert parse_header(encode_header(header)).author == "S\u00f8ren S\u00e9verin"


def mutated(old: bytes, new: bytes) -> bytes:
    assert old in ENCODED
    return ENCODED.replace(old, new)


MALFORMED = {
    "not JSON": b"{",
    "a list": b"[1]",
    "empty": b"",
    "missing field": mutated(b'"kind":"version",', b""),
    "extra field": mutated(b'"v":1}', b'"v":1,"x":1}'),
    "other version": mutated(b'"v":1', b'"v":2'),
    "seq zero": mutated(b'"seq":2', b'"seq":0'),
    "seq negative": mutated(b'"seq":2', b'"seq":-2'),
    "seq true": mutated(b'"seq":2', b'"seq":true'),
    "seq float": mutated(b'"seq":2', b'"seq":2.0'),
    "seq string": mutated(b'"seq":2', b'"seq":"2"'),
    "seq too big": mutated(b'"seq":2', b'"seq":9007199254740992'),
    "empty kind": mutated(b'"kind":"version"', b'"kind":""'),
    "null author": mutated(b'"author":"kf:unit-7"', b'"author":null'),
    "uppercase hex": mutated(b"ab" * 32, b"AB" * 32),
    "short hex": mutated(b"cd" * 32, b"cd" * 31),
    "long hex": mutated(b"ef" * 32, b"ef" * 33),
    "not hex": mutated(b"ef" * 32, b"eg" * 32),
    "spaced hex": mutated(b"ef" * 32, b"ef" * 31 + b" e"),
    "time without offset": mutated(b"12:30:00+01:00", b"12:30:00"),
    "not a time": mutated(b"2025-03-01T12:30:00+01:00", b"yesterday"),
    "date only": mutated(b"2025-03-01T12:30:00+01:00", b"2025-03-01"),
    "non-ASCII digits in time": mutated(b"2025-03-01T", "\u0662025-03-01T".encode()),
    "whitespace": mutated(b'"seq":2', b'"seq": 2'),
    "trailing newline": ENCODED + b"\n",
    "keys out of order": mutated(b'"seq":2,"v":1', b'"v":1,"seq":2'),
    "duplicate key": mutated(b'"seq":2', b'"seq":3,"seq":2'),
    "needless escape": mutated(b'"list-7"', b'"\\u006cist-7"'),
    "escaped slash": mutated(b'"list-7"', b'"list\\/7"'),
    "decomposed text": mutated(b'"kf:unit-7"', '"Se\u0301verin"'.encode()),
    "invalid UTF-8": mutated(b'"kf:unit-7"', b'"kf:\xffunit-7"'),
    "lone surrogate": mutated(b'"kf:unit-7"', b'"kf:\\ud800"'),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_anything_but_the_exact_shape_is_malformed(data: bytes) -> None:
    """Fields, types, hex, time, NFC and the canonical bytes themselves are all checked."""
    with pytest.raises(MalformedEntry) as caught:
        parse_header(data)
    assert isinstance(caught.value, ValueError)
    assert "kf:" not in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"seq": 0},
        {"kind": ""},
        {"prev": "EF" * 32},
        {"plaintext_sha256": "00"},
        {"created_at": "2025-03-01T12:30:00"},
        {"seq": 2**53},
        {"author": "\ud800"},
    ],
    ids=repr,
)
def test_a_header_that_would_not_parse_is_not_encoded(changes: dict[str, object]) -> None:
    """encode_header refuses what parse_header would refuse, so nothing unreadable is written."""
    with pytest.raises(MalformedEntry):
        encode_header(dataclasses.replace(HEADER, **changes))  # type: ignore[arg-type]


def test_the_fast_canonical_check_escapes_every_code_point_as_rfc_8785_does() -> None:
    """msgspec's string escapes equal JCS's for all of Unicode, so re-encoding checks shape."""
    everything = "".join(chr(point) for point in range(0x110000) if not 0xD800 <= point < 0xE000)
    assert msgspec.json.encode(everything) == rfc8785.dumps(everything)
