"""C2SP ``tlog-cosignature/v1`` with Ed25519: a witness's timestamped note signature.

The signed message is ``cosignature/v1\\n`` ``time <POSIX seconds>\\n`` and the checkpoint's
note body (its text lines, final newline included, no signature lines). The signature line
is ``— <witness name> base64(key ID || u64 big-endian timestamp || Ed25519 signature)``,
the key ID being SHA-256(name || 0x0A || 0x04 || public key)[:4].
"""

from __future__ import annotations

import base64
import binascii
import struct
import time
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ksp.witness.vkey import ED25519_COSIGNATURE, VerifierKey

__all__ = ["Cosigner", "cosigned_message", "note_body", "signature_lines", "verify_cosignature"]

_PREFIX = "\u2014 "
_BLOB_BYTES = 4 + 8 + 64
_MAX_TIMESTAMP = 2**63 - 1


def cosigned_message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def note_body(note: str) -> str:
    """The text of a signed note up to and including its final text newline."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise ValueError("not a signed note")
    return note[: cut + 1]


def signature_lines(note: str) -> list[str]:
    """The signature lines of a signed note."""
    cut = note.rfind("\n\n")
    if cut < 0:
        raise ValueError("not a signed note")
    return [line for line in note[cut + 2 :].split("\n") if line]


class Cosigner:
    """A witness's Ed25519 cosigning key under its name."""

    def __init__(
        self, private_key: Ed25519PrivateKey, name: str, clock: Callable[[], float] = time.time
    ) -> None:
        public = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self._key = private_key
        self._vkey = VerifierKey(name, ED25519_COSIGNATURE, public)
        self._clock = clock

    @property
    def vkey(self) -> VerifierKey:
        return self._vkey

    def cosign(self, body: str) -> str:
        """The cosignature line (with its final newline) on the checkpoint ``body``."""
        timestamp = int(self._clock())
        signature = self._key.sign(cosigned_message(body, timestamp))
        blob = self._vkey.key_id + struct.pack(">Q", timestamp) + signature
        return f"{_PREFIX}{self._vkey.name} {base64.b64encode(blob).decode('ascii')}\n"


def verify_cosignature(line: str, body: str, witness: VerifierKey) -> int | None:
    """The timestamp of ``line`` if it is ``witness``'s valid cosignature on ``body``; None
    if the line is another key's; :class:`ValueError` if it is this key's and does not verify
    (a forged or damaged cosignature)."""
    if not line.startswith(_PREFIX):
        return None
    name, _, encoded = line.removeprefix(_PREFIX).partition(" ")
    if name != witness.name:
        return None
    try:
        blob = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeError):
        return None
    if len(blob) < 4 or blob[:4] != witness.key_id:
        return None
    if len(blob) != _BLOB_BYTES:
        raise ValueError("a cosignature has a timestamp and a 64-byte signature")
    (timestamp,) = struct.unpack(">Q", blob[4:12])
    if timestamp > _MAX_TIMESTAMP:
        raise ValueError("a cosignature's timestamp is at most 2^63 - 1")
    try:
        Ed25519PublicKey.from_public_bytes(witness.public_key).verify(
            blob[12:], cosigned_message(body, timestamp)
        )
    except InvalidSignature:
        raise ValueError("the cosignature does not verify") from None
    return int(timestamp)
