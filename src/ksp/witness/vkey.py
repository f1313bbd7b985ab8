"""C2SP signed-note verifier keys: ``name+hex(key ID)+base64(type || public key)``."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from hashlib import sha256

__all__ = ["ED25519", "ED25519_COSIGNATURE", "InvalidVerifierKey", "VerifierKey", "parse_vkey"]

ED25519 = 0x01  # a log's checkpoint signature
ED25519_COSIGNATURE = 0x04  # a witness's tlog-cosignature/v1


class InvalidVerifierKey(ValueError):
    """Not a verifier key of the expected type, or its key ID does not match."""


@dataclass(frozen=True, slots=True)
class VerifierKey:
    name: str
    key_type: int
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.key_type, self.public_key)

    def encode(self) -> str:
        blob = base64.b64encode(bytes([self.key_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{blob}"


def key_id(name: str, key_type: int, public_key: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || key)[:4]."""
    return sha256(name.encode("utf-8") + b"\n" + bytes([key_type]) + public_key).digest()[:4]


def parse_vkey(text: str, key_type: int) -> VerifierKey:
    """The Ed25519 verifier key of ``key_type`` in ``text``; :class:`InvalidVerifierKey`."""
    parts = text.strip().split("+", 2)  # base64 may hold a + too
    if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
        raise InvalidVerifierKey("a verifier key is name+key id+key")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
        wanted_id = bytes.fromhex(hex_id)
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidVerifierKey("a verifier key is name+key id+key") from None
    if len(raw) != 33 or raw[0] != key_type:
        raise InvalidVerifierKey("not an Ed25519 key of the expected signature type")
    vkey = VerifierKey(name, key_type, raw[1:])
    if vkey.key_id != wanted_id or len(hex_id) != 8:
        raise InvalidVerifierKey("the key ID does not match the name and key")
    return vkey
