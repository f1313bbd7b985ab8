"""Key policy: pure checks on a recipient's key as gpg listed it (no gpg here).

A key may be used for a recipient when it is not revoked, carries the recipient's address
in a user ID (the ``<addr>`` part, compared whole and without regard to case), and has a
key that can encrypt for at least the minimum validity asked for.

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

__all__ = [
    "ADDRESS",
    "KeyInfo",
    "KeyListing",
    "KeyPart",
    "KeyProblem",
    "KeyRejected",
    "address_of",
    "normalise_fingerprint",
    "usable_until",
]

_FINGERPRINT = re.compile("[0-9A-F]{40}")
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

    @property
    def encrypts(self) -> bool:
        return "e" in self.capabilities and self.validity not in {"r", "i"}


@dataclass(frozen=True)
class KeyListing:
    fingerprint: str
    primary: KeyPart
    subkeys: tuple[KeyPart, ...]
    user_ids: tuple[str, ...]  # the ones not revoked

    @property
    def revoked(self) -> bool:
        return self.primary.validity == "r"


def normalise_fingerprint(text: str) -> str | None:
    """A full v4 fingerprint as 40 upper-case hex digits (spaces dropped), or None."""
    candidate = "".join(text.split()).upper()
    return candidate if _FINGERPRINT.fullmatch(candidate) else None


def address_of(user_id: str) -> str | None:
    """The address of ``Name (Comment) <addr>`` or of a bare ``addr``, case-folded."""
    text = user_id.strip()
    if "<" in text or ">" in text:
        name, opening, rest = text.partition("<")
        address, closing, tail = rest.partition(">")
        if not (opening and closing) or tail or "<" in name + address or ">" in name:
            return None
    else:
        address = text
    return address.casefold() if ADDRESS.fullmatch(address) else None


def usable_until(listing: KeyListing, now: datetime, min_validity: timedelta) -> datetime | None:
    """When encryption to the key stops (None: never), if not within ``min_validity``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    limit = now + min_validity
    primary_expires = listing.primary.expires
    if primary_expires is not None and primary_expires <= limit:
        raise KeyRejected(KeyProblem.EXPIRES_SOON)
    encrypting = [part for part in (listing.primary, *listing.subkeys) if part.encrypts]
    if not encrypting:
        raise KeyRejected(KeyProblem.NO_ENCRYPTION_KEY)
    lasting = [part for part in encrypting if part.expires is None or part.expires > limit]
    if not lasting:
        raise KeyRejected(KeyProblem.EXPIRES_SOON)
    ends = [part.expires for part in lasting]
    last = None if None in ends else max(end for end in ends if end is not None)
    candidates = [end for end in (primary_expires, last) if end is not None]
    return min(candidates) if candidates else None
