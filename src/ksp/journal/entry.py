"""Journal entries: the header every entry commits to, and its hash.

A header is the canonical JSON (RFC 8785, NFC) of its fields and ``"v": 1``::

    {"author":…,"ciphertext_sha256":…,"created_at":…,"kind":…,"plaintext_sha256":…,
     "prev":…,"ref":…,"seq":…,"v":1}

Version 2 (issue 13) has the same fields except ``plaintext_sha256``, which becomes
``plaintext_hmac``: HMAC-SHA256 of the plaintext under a *commitment key* derived by HKDF
from the entry's data key (:func:`commitment_key`). Once the data key is destroyed
(erasure) nothing left in the header confirms a guessed or leaked copy; whoever was handed
the commitment key (a receipt's holder) can still check theirs. Entries written before
stay version 1 and verify as they are. :class:`EntryHeader` carries either commitment in
``plaintext_sha256`` and says which in ``version``.

``prev`` is the hex of the previous entry's hash (:data:`GENESIS` for entry 1), so the
headers form a hash chain; the entry hash is the RFC 6962 leaf hash of the stored header
bytes, so the same value is also the entry's leaf in the Merkle tree that checkpoints
sign. The stored content is ciphertext: the header commits to its SHA-256 (checkable by
anyone) and to the plaintext's SHA-256 (checkable with the content key).

:func:`parse_header` accepts only exactly what :func:`encode_header` writes: the nine
fields with their types, lowercase 64-digit hex, a time with a UTC offset, NFC text, and
the canonical bytes themselves (no other spacing, key order, escapes or duplicate keys),
so every reader sees the same header in the same bytes. It never re-serialises to hash:
the entry hash is always taken over the stored bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ksp.journal.canonical import canonical
from ksp.journal.merkle import leaf_hash

__all__ = [
    "GENESIS",
    "EntryHeader",
    "MalformedEntry",
    "StoredEntry",
    "commitment",
    "commitment_key",
    "encode_header",
    "entry_hash",
    "parse_header",
]

GENESIS = bytes(32)
"""The ``prev`` of entry 1."""

_MAX_SEQ = 2**53 - 1  # JSON's exact integers

_Text = Annotated[str, msgspec.Meta(min_length=1)]


class MalformedEntry(ValueError):
    """A header that is not exactly the version-1 or -2 shape (never carries the bytes)."""


@dataclass(frozen=True, slots=True)
class EntryHeader:
    """What an entry commits to; hashes are lowercase hex, ``created_at`` ISO 8601.
    ``plaintext_sha256`` is the plaintext's commitment: its SHA-256 in version 1, its
    HMAC under the commitment key in version 2 (``plaintext_hmac`` on the wire)."""

    seq: int
    kind: str
    ref: str
    author: str
    created_at: str
    ciphertext_sha256: str
    plaintext_sha256: str
    prev: str
    version: int = 1


def commitment_key(data_key: bytes, seq: int) -> bytes:
    """The key a version-2 header commits to entry ``seq``'s plaintext under."""
    info = b"ksp-journal-commitment-v2\x00" + str(seq).encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(data_key)


def commitment(key: bytes, plaintext: bytes) -> str:
    """The version-2 commitment: lowercase hex of HMAC-SHA256(key, plaintext)."""
    return hmac.new(key, plaintext, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as stored: header bytes, their leaf hash, and the ciphertext (or None)."""

    seq: int
    header: bytes
    entry_hash: bytes
    content: bytes | None


class _Fields(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The fields both versions share (the encoder sorts keys: their order is moot)."""

    seq: Annotated[int, msgspec.Meta(ge=1, le=_MAX_SEQ)]
    kind: _Text
    ref: _Text
    author: _Text
    created_at: str
    ciphertext_sha256: str
    prev: str


class _Wire(_Fields, forbid_unknown_fields=True, gc=False):
    v: Literal[1]
    plaintext_sha256: str


class _WireV2(_Fields, forbid_unknown_fields=True, gc=False):
    v: Literal[2]
    plaintext_hmac: str

    @property
    def plaintext_sha256(self) -> str:
        """The commitment, by the name version 1 gives it (the verifier reads either)."""
        return self.plaintext_hmac


_DECODER = msgspec.json.Decoder(_Wire)
_DECODER_V2 = msgspec.json.Decoder(_WireV2)
# The escapes and number forms of msgspec's JSON encoder equal RFC 8785's for every code
# point (tests check them all), so with sorted keys it rebuilds the canonical bytes.
_ENCODER = msgspec.json.Encoder(order="sorted")


def encode_header(header: EntryHeader) -> bytes:
    """The canonical header bytes; :class:`MalformedEntry` if the fields do not fit."""
    if header.version not in (1, 2):
        raise MalformedEntry("the header is not the version-1 or -2 shape")
    commitment_name = "plaintext_sha256" if header.version == 1 else "plaintext_hmac"
    fields = {
        "v": header.version,
        "seq": header.seq,
        "kind": header.kind,
        "ref": header.ref,
        "author": header.author,
        "created_at": header.created_at,
        "ciphertext_sha256": header.ciphertext_sha256,
        commitment_name: header.plaintext_sha256,
        "prev": header.prev,
    }
    try:
        data = canonical(fields)
    except ValueError:  # an integer beyond JSON's, a lone surrogate
        raise MalformedEntry("the header is not the version-1 or -2 shape") from None
    decode_wire(data)  # refuses what parse_header would
    return data


def parse_header(data: bytes) -> EntryHeader:
    """The header in ``data``; :class:`MalformedEntry` unless it is exactly the v1 or v2
    shape."""
    wire = decode_wire(data)
    return EntryHeader(
        version=wire.v,
        seq=wire.seq,
        kind=wire.kind,
        ref=wire.ref,
        author=wire.author,
        created_at=wire.created_at,
        ciphertext_sha256=wire.ciphertext_sha256,
        plaintext_sha256=wire.plaintext_sha256,
        prev=wire.prev,
    )


def entry_hash(header_bytes: bytes) -> bytes:
    """The entry hash: the chain link and the Merkle leaf, over the stored bytes."""
    return leaf_hash(header_bytes)


def decode_wire(data: bytes) -> _Wire | _WireV2:
    """:func:`parse_header` without building the dataclass, for the verifier's loop. The
    version is the last key of the canonical bytes, so it picks the decoder."""
    decoder = _DECODER_V2 if data.endswith(b',"v":2}') else _DECODER
    try:
        wire = decoder.decode(data)
        if _ENCODER.encode(wire) == data and _fits(wire):
            return wire
    except ValueError:  # msgspec.DecodeError, UnicodeDecodeError, bytes.fromhex
        pass
    raise MalformedEntry("the header is not the version-1 or -2 shape")


def _fits(wire: _Wire | _WireV2) -> bool:
    """Lowercase 64-digit hex, NFC text, a time with an offset (msgspec checked the rest)."""
    hashes = wire.ciphertext_sha256 + wire.plaintext_sha256 + wire.prev
    return (
        len(wire.ciphertext_sha256) == len(wire.plaintext_sha256) == len(wire.prev) == 64
        and bytes.fromhex(hashes).hex() == hashes
        and (
            (wire.kind + wire.ref + wire.author).isascii()
            or all(
                unicodedata.is_normalized("NFC", text)
                for text in (wire.kind, wire.ref, wire.author)
            )
        )
        and wire.created_at.isascii()
        and dt.datetime.fromisoformat(wire.created_at).tzinfo is not None
    )
