"""The service's keyring: its own signing key and the pinned recipients' keys.

Keys are pinned by full fingerprint and never looked up by address or on the network.
:class:`Keyring` is the service's own isolated GnuPG home: it makes the service's signing
key on first use (:mod:`ksp.mail.service_key`) and encrypts each message to one pinned
recipient alone, signed by that key. Any failure to do so is :class:`EncryptionFailed`:
nothing is ever returned that is not an OpenPGP message, encrypted and signed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

from ksp.mail.gpg_process import (
    ENCRYPT_OPTIONS,
    IMPORT_OPTIONS,
    MAX_KEY_CHARS,
    checked_listing,
    make_gpg,
    stop_agent,
)
from ksp.mail.key_listing import parse_listing
from ksp.mail.key_policy import (
    KeyListing,
    KeyProblem,
    KeyRejected,
    check_strength,
    normalise_fingerprint,
    usable_until,
)
from ksp.mail.recipient_key import listing_of, single_public_key
from ksp.mail.service_key import check_sender, check_service_key, load_or_make_service_key

__all__ = ["EncryptionFailed", "Keyring"]

_ARMOUR_BEGIN = b"-----BEGIN PGP MESSAGE-----"
_ARMOUR_END = b"-----END PGP MESSAGE-----"


class EncryptionFailed(Exception):
    """gpg did not produce a message encrypted to the recipient and signed; send nothing."""


class Keyring:
    """The service's GnuPG home: its own signing key and the pinned recipients' keys.

    Safe to share between threads; each operation is one gpg process. Several processes
    may open the same home: the first to need the service key imports ``service_key`` (an
    armoured secret key from configuration, the same for every instance) or, without one,
    makes a key of its own, under a lock. A home whose key is not the configured one is
    refused rather than silently signing as another identity.
    """

    def __init__(
        self,
        home: Path,
        *,
        sender_email: str,
        sender_name: str = "KSP service",
        service_key: str | None = None,
    ) -> None:
        check_sender(sender_email, sender_name)
        self._service_key = service_key
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
        self._home = home
        self._sender_email = sender_email
        self._sender_name = sender_name
        self._gpg = make_gpg(home)
        self._lock = threading.Lock()
        self._fingerprint: str | None = None

    @property
    def home(self) -> Path:
        return self._home

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def service_fingerprint(self) -> str:
        """The fingerprint of the service's signing key, made now if the home has none."""
        with self._lock:
            if self._fingerprint is None:
                configured = None
                if self._service_key is not None:
                    configured = check_service_key(self._service_key, self._sender_email)
                self._fingerprint = load_or_make_service_key(
                    self._gpg, self._home, configured, (self._sender_email, self._sender_name)
                )
            return self._fingerprint

    def service_public_key(self) -> str:
        """The service's public key in ASCII armour, for recipients to verify signatures."""
        armour = str(self._gpg.export_keys(self.service_fingerprint(), armor=True, minimal=True))
        if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in armour:
            raise RuntimeError("gpg did not export the service key")
        return armour

    def import_recipient(self, armored: str) -> str:
        """Import a key that :func:`~ksp.mail.recipient_key.inspect_key` accepted; its
        fingerprint.

        Checked again to be exactly one public key, so nothing else (no secret key, no
        second key) can enter the service's keyring through this door.
        """
        if len(armored) > MAX_KEY_CHARS:
            raise KeyRejected(KeyProblem.NOT_OPENPGP)
        fingerprint = single_public_key(self._gpg, armored)
        result = self._gpg.import_keys(armored, extra_args=IMPORT_OPTIONS)
        if fingerprint not in result.fingerprints:
            raise KeyRejected(KeyProblem.NOT_OPENPGP)
        return fingerprint

    def usable_now(
        self, fingerprint: str, now: datetime, min_validity: timedelta = timedelta(0)
    ) -> bool:
        """Whether the pinned key is here, not revoked, strong enough (a key registered before
        the policy was may not be), and can encrypt for ``min_validity``."""
        pinned = normalise_fingerprint(fingerprint)
        listing = None if pinned is None else listing_of(self._gpg, pinned)
        return _usable(listing, now, min_validity)

    def usable_all(self, fingerprints: Sequence[str], now: datetime) -> set[str]:
        """Which of the pinned keys are usable now (as :meth:`usable_now`), asked of gpg in
        one listing rather than one process per key (the cost of a circulation's checks
        was 30 gpg processes). If the one listing fails (a key missing), each is asked
        alone."""
        pinned = {f: normalise_fingerprint(f) for f in fingerprints}
        known = [p for p in pinned.values() if p is not None]
        colons = checked_listing(self._gpg, *known) if known else b""
        if not colons:
            return {f for f in fingerprints if self.usable_now(f, now)}
        return {
            f
            for f, p in pinned.items()
            if p is not None and _usable(parse_listing(colons, p), now, timedelta(0))
        }

    def encrypt_and_sign(self, data: bytes, recipient_fingerprint: str) -> bytes:
        """ASCII-armoured ``data`` encrypted to the pinned key alone, signed by the service."""
        pinned = normalise_fingerprint(recipient_fingerprint)
        if pinned is None:
            raise EncryptionFailed("the recipient is not given by a full fingerprint")
        try:
            signer = self.service_fingerprint()
            result = self._gpg.encrypt(
                data,
                [pinned],
                sign=signer,
                armor=True,
                always_trust=True,
                extra_args=ENCRYPT_OPTIONS,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise EncryptionFailed("gpg could not be run to encrypt") from exc
        return _checked_armour(result, signer)

    def close(self) -> None:
        """Stop the home's gpg-agent (it is started again if the keyring is used again)."""
        stop_agent(self._home)


def _usable(listing: KeyListing | None, now: datetime, min_validity: timedelta) -> bool:
    if listing is None or listing.revoked:
        return False
    try:
        check_strength(listing, now)
        usable_until(listing, now, min_validity)
    except KeyRejected:
        return False
    return True


def _checked_armour(result: Any, signer: str) -> bytes:
    """gpg's output if it is an armoured message, encrypted and signed by ``signer``."""
    data = result.data if isinstance(result.data, bytes) else b""
    status = [line.split() for line in (result.stderr or "").splitlines()]
    signers = [line[-1] for line in status if line[:2] == ["[GNUPG:]", "SIG_CREATED"]]
    done = (
        result.returncode == 0
        and bool(result.ok)
        and signers == [signer]
        and ["[GNUPG:]", "END_ENCRYPTION"] in status
        and data.startswith(_ARMOUR_BEGIN)
        and data.rstrip().endswith(_ARMOUR_END)
    )
    if not done:
        raise EncryptionFailed(f"gpg did not encrypt and sign: {result.status or 'no status'}")
    return data
