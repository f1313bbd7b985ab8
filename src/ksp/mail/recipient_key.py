"""Reading a recipient's key with gpg, and :func:`inspect_key`, which applies the key policy.

A recipient's key is checked in a scratch GnuPG home (a fresh 0700 temporary directory,
its agent stopped and the directory removed afterwards) before it goes anywhere near the
service's keyring. It must be exactly one public key, match the fingerprint confirmed out
of band, if one was given, and pass :mod:`ksp.mail.key_policy`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ksp.domain.circulation import comparable_address
from ksp.mail.gpg_process import IMPORT_OPTIONS, MAX_KEY_CHARS, checked_listing, scratch_gpg
from ksp.mail.key_listing import parse_listing
from ksp.mail.key_policy import (
    KeyInfo,
    KeyListing,
    KeyProblem,
    KeyRejected,
    address_of,
    check_strength,
    normalise_fingerprint,
    usable_until,
)

__all__ = ["inspect_key", "is_revoked_copy", "listing_of", "single_public_key"]


def inspect_key(
    armored: str,
    *,
    email: str,
    expected_fingerprint: str | None,
    now: datetime,
    min_validity: timedelta = timedelta(days=30),
) -> KeyInfo:
    """The key's :class:`KeyInfo` if it may be used for ``email``; :class:`KeyRejected` if not.

    The reason for a key that runs out too soon reads "within 30 days" whatever
    ``min_validity`` is: the reasons are fixed strings.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    if len(armored) > MAX_KEY_CHARS:
        raise KeyRejected(KeyProblem.NOT_OPENPGP)
    with scratch_gpg() as gpg:
        fingerprint = single_public_key(gpg, armored)
        if expected_fingerprint is not None and (
            normalise_fingerprint(expected_fingerprint) != fingerprint
        ):
            raise KeyRejected(KeyProblem.FINGERPRINT_MISMATCH)
        gpg.import_keys(armored, extra_args=IMPORT_OPTIONS)
        listing = listing_of(gpg, fingerprint)
    if listing is None:
        raise KeyRejected(KeyProblem.NOT_OPENPGP)
    if listing.revoked:
        raise KeyRejected(KeyProblem.REVOKED)
    wanted = comparable_address(email.strip())
    if wanted is None or not any(address_of(uid) == wanted for uid in listing.user_ids):
        raise KeyRejected(KeyProblem.NO_USER_ID)
    check_strength(listing, now)
    expires_at = usable_until(listing, now, min_validity)
    return KeyInfo(fingerprint=fingerprint, expires_at=expires_at, user_ids=listing.user_ids)


def is_revoked_copy(armored: str, pinned: str) -> bool:
    """Whether ``armored`` is the pinned key itself, revoked by its owner, whole or in each of
    its encryption subkeys (gpg checks the revocation signatures: one that does not verify
    revokes nothing)."""
    if len(armored) > MAX_KEY_CHARS:
        return False
    with scratch_gpg() as gpg:
        try:
            fingerprint = single_public_key(gpg, armored)
        except KeyRejected:
            return False
        if fingerprint != normalise_fingerprint(pinned):
            return False
        gpg.import_keys(armored, extra_args=IMPORT_OPTIONS)
        listing = listing_of(gpg, fingerprint)
    return listing is not None and listing.encryption_revoked


def single_public_key(gpg: Any, armored: str) -> str:
    """The fingerprint of the one public key in ``armored`` (a dry run, nothing imported)."""
    try:
        scanned = gpg.scan_keys_mem(armored)
    except (UnicodeError, ValueError):
        raise KeyRejected(KeyProblem.NOT_OPENPGP) from None
    kinds = [key["type"] for key in scanned]
    if not kinds or any(kind != "pub" for kind in kinds):
        raise KeyRejected(KeyProblem.NOT_OPENPGP)
    if len(kinds) != 1:
        raise KeyRejected(KeyProblem.NOT_ONE_KEY)
    fingerprint = normalise_fingerprint(str(scanned[0].get("fingerprint", "")))
    if fingerprint is None:
        raise KeyRejected(KeyProblem.NOT_OPENPGP)
    return fingerprint


def listing_of(gpg: Any, fingerprint: str) -> KeyListing | None:
    """The key whose primary fingerprint is ``fingerprint`` (not a subkey's), if present."""
    return parse_listing(checked_listing(gpg, fingerprint), fingerprint)
