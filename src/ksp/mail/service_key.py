"""The service's own signing key: made, checked, and loaded into a keyring home once.

A configured key (``KSP_MAIL_SIGNING_KEY_FILE``) is checked in a scratch home first, so a
bad file never touches the service's keyring. Several processes may open the same home:
the first to need the key imports the configured one or, without one, makes a key of its
own, under a file lock. A home whose key is not the configured one is refused rather than
silently signing as another identity.
"""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksp.mail.gpg_process import MAX_KEY_CHARS, scratch_gpg, utf8
from ksp.mail.key_policy import ADDRESS, address_of

__all__ = [
    "ServiceKey",
    "check_sender",
    "check_service_key",
    "load_or_make_service_key",
    "new_service_key",
]

_LOCK_FILE = "ksp-service-key.lock"


@dataclass(frozen=True)
class ServiceKey:
    """A configured service key that passed :func:`check_service_key`: its fingerprint and
    the key alone, re-exported (nothing else the file held comes along)."""

    fingerprint: str
    armour: str = field(repr=False)


def new_service_key(sender_email: str, sender_name: str = "KSP service") -> str:
    """A new service signing key, as an armoured secret key without a passphrase.

    For ``KSP_MAIL_SIGNING_KEY_FILE``: made once, kept in the deployment's secret store and
    given to every instance, so that all of them sign as one service.
    """
    check_sender(sender_email, sender_name)
    with scratch_gpg() as gpg:
        fingerprint = _generate_service_key(gpg, sender_email, sender_name)
        armour = str(gpg.export_keys(fingerprint, secret=True, armor=True, expect_passphrase=False))
    if "-----BEGIN PGP PRIVATE KEY BLOCK-----" not in armour:
        raise RuntimeError("gpg did not export the new service key")
    return armour


def check_service_key(armored: str, sender_email: str) -> ServiceKey:
    """Check a configured service key in a scratch home, so that a bad file never touches
    the service's keyring: exactly one secret key, which signs without a passphrase (a test
    signature is made) and carries ``sender_email`` in a user ID. Raises ValueError, naming
    no key material, if it is anything else."""
    if len(armored) > MAX_KEY_CHARS:
        raise ValueError("the service key file is too large")
    with scratch_gpg() as gpg:
        gpg.import_keys(armored, extra_args=["--batch"])
        secret = gpg.list_keys(secret=True)
        if len(secret) != 1:
            raise ValueError("the service key file must hold exactly one secret key")
        key = secret[0]
        fingerprint = str(key["fingerprint"])
        addresses = {address_of(utf8(str(uid))) for uid in key.get("uids", [])}
        if sender_email.lower() not in addresses:
            raise ValueError("the service key has no user ID with the sender address")
        signed = gpg.sign(b"ksp", keyid=fingerprint, extra_args=["--pinentry-mode", "error"])
        if signed.returncode != 0 or not signed.data:
            raise ValueError("the service key cannot sign without a passphrase")
        armour = str(gpg.export_keys(fingerprint, secret=True, expect_passphrase=False))
    if "-----BEGIN PGP PRIVATE KEY BLOCK-----" not in armour:
        raise ValueError("the service key could not be exported again")
    return ServiceKey(fingerprint, armour)


def load_or_make_service_key(
    gpg: Any, home: Path, configured: ServiceKey | None, sender: tuple[str, str]
) -> str:
    """The fingerprint of the home's one secret key, imported or made first if it has none.

    ``sender`` is the (address, name) a key made here carries.
    """
    fd = os.open(home / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(fd, "r+") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        fingerprints = _secret_fingerprints(gpg)
        if not fingerprints:
            _import_or_make(gpg, configured, sender)
            fingerprints = _secret_fingerprints(gpg)
    if len(fingerprints) != 1:
        raise RuntimeError("the keyring home must hold exactly one secret key")
    if configured is not None and fingerprints != [configured.fingerprint]:
        raise RuntimeError("the keyring home holds another key than the configured one")
    return fingerprints[0]


def check_sender(sender_email: str, sender_name: str) -> None:
    if not ADDRESS.fullmatch(sender_email):
        raise ValueError("the sender must be a plain e-mail address")
    if not sender_name.isprintable() or set(sender_name) & set("<>()"):
        raise ValueError("the sender name must be printable, without <, >, ( or )")


def _import_or_make(gpg: Any, configured: ServiceKey | None, sender: tuple[str, str]) -> None:
    if configured is None:
        _generate_service_key(gpg, *sender)
        return
    result = gpg.import_keys(configured.armour)
    if not result.fingerprints:
        raise RuntimeError("gpg could not import the configured service key")


def _secret_fingerprints(gpg: Any) -> list[str]:
    return [str(key["fingerprint"]) for key in gpg.list_keys(secret=True)]


def _generate_service_key(gpg: Any, sender_email: str, sender_name: str) -> str:
    parameters = (
        "Key-Type: eddsa\nKey-Curve: ed25519\nKey-Usage: sign\n"
        "Subkey-Type: ecdh\nSubkey-Curve: cv25519\nSubkey-Usage: encrypt\n"
        f"Name-Real: {sender_name}\nName-Email: {sender_email}\n"
        "Expire-Date: 0\n%no-protection\n%commit\n"
    )
    result = gpg.gen_key(parameters)
    if result.returncode != 0 or not result.fingerprint:
        raise RuntimeError("gpg could not make the service key")
    return str(result.fingerprint)
