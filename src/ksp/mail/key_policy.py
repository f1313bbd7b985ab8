"""Key policy: pure checks on a recipient's key as gpg listed it (no gpg here).

A key may be used for a recipient when it is not revoked, carries the recipient's address
in a user ID (the ``<addr>`` part, compared whole and without regard to case, in NFKC;
an address that NFKC would change matches nothing), is strong
enough, and has a key that can encrypt for at least the minimum validity asked for.

Strong enough (:func:`check_strength`): RSA of 3072 bits or more, or elliptic curves of
about the same strength or more (Curve25519/Ed25519, Curve448/Ed448, NIST P-256 to P-521,
Brainpool P-256 to P-512), for the primary key and every subkey in use (not revoked, not
expired); never DSA or ElGamal, whatever their size (NIST and BSI retired DSA; ElGamal keys
in OpenPGP are mostly 1024 or 2048 bits); and every binding self-signature made with
SHA-224 or stronger, never SHA-1, RIPEMD-160 or MD5 (SHA-1 collisions are practical:
SHAmbles, 2020).

Expiry is computed from the keys' timestamps against the caller's ``now``, never from
gpg's validity letters, which follow gpg's own clock. Every refusal for reasons of time
says "expired or expires within 30 days", whether the primary key or the only
encryption subkey runs out: the remedy is the same (extend the expiry or make a new
subkey). "no usable encryption key" means that no key can encrypt at all: none has the
capability, or each one that has it is revoked or invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ksp.domain.circulation import comparable_address

__all__ = [
    "ADDRESS",
    "KeyInfo",
    "KeyListing",
    "KeyPart",
    "KeyProblem",
    "KeyRejected",
    "address_of",
    "check_strength",
    "normalise_fingerprint",
    "usable_until",
]

_FINGERPRINT = re.compile("[0-9A-F]{40}")
_RSA = {1, 2, 3}
_RSA_MIN_BITS = 3072
_CURVE_ALGORITHMS = {18, 19, 22}  # ECDH, ECDSA, EdDSA (legacy): the curve decides
_MODERN_CURVES = {25, 26, 27, 28}  # X25519, X448, Ed25519, Ed448
_STRONG_CURVES = {
    "ed25519",
    "cv25519",
    "ed448",
    "cv448",
    "x448",
    "nistp256",
    "nistp384",
    "nistp521",
    "brainpoolP256r1",
    "brainpoolP384r1",
    "brainpoolP512r1",
}
_STRONG_HASHES = {8, 9, 10, 11, 12, 14}  # SHA-256, -384, -512, -224, SHA3-256, SHA3-512
ADDRESS = re.compile(r"[^\s<>()@]+@[^\s<>()@]+")


class KeyProblem(StrEnum):
    """Why a recipient's key was refused: fixed English, safe to show and to log."""

    NOT_OPENPGP = "not an OpenPGP public key"
    NOT_ONE_KEY = "not exactly one key"
    NO_USER_ID = "no user ID carries the address"
    NO_ENCRYPTION_KEY = "no usable encryption key"
    REVOKED = "revoked"
    EXPIRES_SOON = "expired or expires within 30 days"
    FINGERPRINT_MISMATCH = "fingerprint does not match"
    WEAK_KEY = "key too weak: RSA under 3072 bits, DSA, ElGamal or a weak curve"
    WEAK_SIGNATURE = "a binding self-signature uses SHA-1 or a weaker hash"
    NOT_YET_VALID = "the encryption key is not valid yet (made in the future)"


class KeyRejected(Exception):
    """A recipient's key that may not be used; ``reason`` is a :class:`KeyProblem`."""

    def __init__(self, reason: KeyProblem) -> None:
        super().__init__(reason.value)
        self.reason = reason


@dataclass(frozen=True)
class KeyInfo:
    """An accepted key: its fingerprint, when encryption to it stops, its user IDs."""

    fingerprint: str
    expires_at: datetime | None
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class KeyPart:
    """A primary key or subkey as gpg lists it (colon format)."""

    validity: str
    capabilities: str
    expires: datetime | None
    created: datetime | None = None
    algorithm: int = 0  # RFC 9580 public-key algorithm number
    bits: int = 0
    curve: str = ""

    @property
    def encrypts(self) -> bool:
        return "e" in self.capabilities and self.validity not in {"r", "i"}

    def started(self, now: datetime) -> bool:
        return self.created is None or self.created <= now

    def in_use(self, now: datetime) -> bool:
        return self.validity != "r" and (self.expires is None or self.expires > now)


@dataclass(frozen=True)
class KeyListing:
    fingerprint: str
    primary: KeyPart
    subkeys: tuple[KeyPart, ...]
    user_ids: tuple[str, ...]  # the ones not revoked
    binding_hashes: tuple[int, ...] = ()  # of the verified self-signatures in use

    @property
    def revoked(self) -> bool:
        return self.primary.validity == "r"

    @property
    def encryption_revoked(self) -> bool:
        """Whether the owner revoked every key of it that could encrypt (the key itself, or
        each encryption subkey): nothing may be encrypted to it any more."""
        capable = [p for p in (self.primary, *self.subkeys) if "e" in p.capabilities]
        return self.revoked or (bool(capable) and all(p.validity == "r" for p in capable))


def normalise_fingerprint(text: str) -> str | None:
    """A full v4 fingerprint as 40 upper-case hex digits (spaces dropped), or None."""
    candidate = "".join(text.split()).upper()
    return candidate if _FINGERPRINT.fullmatch(candidate) else None


def address_of(user_id: str) -> str | None:
    """The address of ``Name (Comment) <addr>`` or of a bare ``addr``, in the form addresses
    are compared in (:func:`~ksp.domain.circulation.comparable_address`), or None."""
    text = user_id.strip()
    if "<" in text or ">" in text:
        name, opening, rest = text.partition("<")
        address, closing, tail = rest.partition(">")
        if not (opening and closing) or tail or "<" in name + address or ">" in name:
            return None
    else:
        address = text
    return comparable_address(address) if ADDRESS.fullmatch(address) else None


def check_strength(listing: KeyListing, now: datetime) -> None:
    """:class:`KeyRejected` unless every part in use and every binding signature is strong."""
    parts = [listing.primary, *(sub for sub in listing.subkeys if sub.in_use(now))]
    if not all(_strong(part) for part in parts):
        raise KeyRejected(KeyProblem.WEAK_KEY)
    if not set(listing.binding_hashes) <= _STRONG_HASHES:
        raise KeyRejected(KeyProblem.WEAK_SIGNATURE)


def _strong(part: KeyPart) -> bool:
    if part.algorithm in _RSA:
        return part.bits >= _RSA_MIN_BITS
    if part.algorithm in _CURVE_ALGORITHMS:
        return part.curve in _STRONG_CURVES
    return part.algorithm in _MODERN_CURVES


def usable_until(listing: KeyListing, now: datetime, min_validity: timedelta) -> datetime | None:
    """When encryption to the key stops (None: never), if not within ``min_validity``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    limit = now + min_validity
    primary_expires = listing.primary.expires
    if primary_expires is not None and primary_expires <= limit:
        raise KeyRejected(KeyProblem.EXPIRES_SOON)
    capable = [part for part in (listing.primary, *listing.subkeys) if part.encrypts]
    if not capable:
        raise KeyRejected(KeyProblem.NO_ENCRYPTION_KEY)
    encrypting = [part for part in capable if part.started(now)]
    if not encrypting or not listing.primary.started(now):
        raise KeyRejected(KeyProblem.NOT_YET_VALID)
    lasting = [part for part in encrypting if part.expires is None or part.expires > limit]
    if not lasting:
        raise KeyRejected(KeyProblem.EXPIRES_SOON)
    ends = [part.expires for part in lasting]
    last = None if None in ends else max(end for end in ends if end is not None)
    candidates = [end for end in (primary_expires, last) if end is not None]
    return min(candidates) if candidates else None
