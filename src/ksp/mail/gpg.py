"""OpenPGP through GnuPG: recipients' keys checked and pinned, messages encrypted and signed.

A recipient's key is checked by :func:`inspect_key` in a scratch GnuPG home (a fresh
0700 temporary directory, its agent stopped and the directory removed afterwards)
before it goes anywhere near the service's keyring. It must be exactly one public key;
match the fingerprint confirmed out of band, if one was given; not be revoked; carry the
recipient's address in a user ID (the ``<addr>`` part, compared whole and without
regard to case); and have a key that can encrypt for at least ``min_validity`` more.

Expiry is computed from the keys' timestamps against the caller's ``now``, never from
gpg's validity letters, which follow gpg's own clock. Every refusal for reasons of time
says "expired or expires within 30 days", whether the primary key or the only
encryption subkey runs out: the remedy is the same (extend the expiry or make a new
subkey). "no usable encryption key" means that no key can encrypt at all: none has the
capability, or each one that has it is revoked or invalid.

Keys are pinned by full fingerprint and never looked up by address or on the network.
:class:`Keyring` is the service's own isolated GnuPG home: it makes the service's
signing key on first use and encrypts each message to one pinned recipient alone,
signed by that key. Any failure to do so is :class:`EncryptionFailed`: nothing is ever
returned that is not an OpenPGP message, encrypted and signed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote

import gnupg

__all__ = [
    "EncryptionFailed",
    "KeyInfo",
    "KeyProblem",
    "KeyRejected",
    "Keyring",
    "ServiceKey",
    "check_service_key",
    "inspect_key",
    "new_service_key",
    "normalise_fingerprint",
]

_MAX_KEY_CHARS = 1024 * 1024
_FINGERPRINT = re.compile("[0-9A-F]{40}")
_ADDRESS = re.compile(r"[^\s<>()@]+@[^\s<>()@]+")
_ARMOUR_BEGIN = b"-----BEGIN PGP MESSAGE-----"
_ARMOUR_END = b"-----END PGP MESSAGE-----"
_LOCK_FILE = "ksp-service-key.lock"
_GPGCONF_TIMEOUT_SECONDS = 10
_AGENT_EXIT_SECONDS = 2
# On every gpg call: no gpg.conf, no network and no look-up by address, no web of trust
# (encryption adds "--trust-model always": keys are pinned by fingerprint; "direct" here
# because gpg needs a trust database to import a revoked key, which "always" never
# makes), and no random-seed file (its lock serialises parallel calls for up to 1.5 s).
_OPTIONS = [
    "--no-options",
    "--trust-model",
    "direct",
    "--no-random-seed-file",
    "--disable-dirmngr",
    "--no-auto-key-retrieve",
    "--auto-key-locate",
    "local",
]
# Only the one recipient: nothing from --encrypt-to or --default-recipient.
_ENCRYPT_OPTIONS = ["--no-encrypt-to", "--no-default-recipient"]
_IMPORT_OPTIONS = ["--import-options", "import-minimal"]


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


class EncryptionFailed(Exception):
    """gpg did not produce a message encrypted to the recipient and signed; send nothing."""


@dataclass(frozen=True)
class KeyInfo:
    """An accepted key: its fingerprint, when encryption to it stops, its user IDs."""

    fingerprint: str
    expires_at: datetime | None
    user_ids: tuple[str, ...]


@dataclass(frozen=True)
class _Part:
    """A primary key or subkey as gpg lists it (colon format)."""

    validity: str
    capabilities: str
    expires: datetime | None

    @property
    def encrypts(self) -> bool:
        return "e" in self.capabilities and self.validity not in {"r", "i"}


@dataclass(frozen=True)
class _Listing:
    fingerprint: str
    primary: _Part
    subkeys: tuple[_Part, ...]
    user_ids: tuple[str, ...]  # the ones not revoked

    @property
    def revoked(self) -> bool:
        return self.primary.validity == "r"


def normalise_fingerprint(text: str) -> str | None:
    """A full v4 fingerprint as 40 upper-case hex digits (spaces dropped), or None."""
    candidate = "".join(text.split()).upper()
    return candidate if _FINGERPRINT.fullmatch(candidate) else None


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
    if len(armored) > _MAX_KEY_CHARS:
        raise KeyRejected(KeyProblem.NOT_OPENPGP)
    with _scratch_gpg() as gpg:
        fingerprint = _single_public_key(gpg, armored)
        if expected_fingerprint is not None and (
            normalise_fingerprint(expected_fingerprint) != fingerprint
        ):
            raise KeyRejected(KeyProblem.FINGERPRINT_MISMATCH)
        gpg.import_keys(armored, extra_args=_IMPORT_OPTIONS)
        listing = _listing(gpg, fingerprint)
    if listing is None:
        raise KeyRejected(KeyProblem.NOT_OPENPGP)
    if listing.revoked:
        raise KeyRejected(KeyProblem.REVOKED)
    wanted = email.strip().casefold()
    if not any(_address_of(user_id) == wanted for user_id in listing.user_ids):
        raise KeyRejected(KeyProblem.NO_USER_ID)
    expires_at = _usable_until(listing, now, min_validity)
    return KeyInfo(fingerprint=fingerprint, expires_at=expires_at, user_ids=listing.user_ids)


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
        _check_sender(sender_email, sender_name)
        self._service_key = service_key
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        home.chmod(0o700)
        self._home = home
        self._sender_email = sender_email
        self._sender_name = sender_name
        self._gpg = _make_gpg(home)
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
                self._fingerprint = self._load_or_make_service_key()
            return self._fingerprint

    def service_public_key(self) -> str:
        """The service's public key in ASCII armour, for recipients to verify signatures."""
        armour = str(self._gpg.export_keys(self.service_fingerprint(), armor=True, minimal=True))
        if "-----BEGIN PGP PUBLIC KEY BLOCK-----" not in armour:
            raise RuntimeError("gpg did not export the service key")
        return armour

    def import_recipient(self, armored: str) -> str:
        """Import a key that :func:`inspect_key` accepted; its fingerprint.

        Checked again to be exactly one public key, so nothing else (no secret key, no
        second key) can enter the service's keyring through this door.
        """
        if len(armored) > _MAX_KEY_CHARS:
            raise KeyRejected(KeyProblem.NOT_OPENPGP)
        fingerprint = _single_public_key(self._gpg, armored)
        result = self._gpg.import_keys(armored, extra_args=_IMPORT_OPTIONS)
        if fingerprint not in result.fingerprints:
            raise KeyRejected(KeyProblem.NOT_OPENPGP)
        return fingerprint

    def usable_now(
        self, fingerprint: str, now: datetime, min_validity: timedelta = timedelta(0)
    ) -> bool:
        """Whether the pinned key is here, not revoked, and can encrypt for ``min_validity``."""
        pinned = normalise_fingerprint(fingerprint)
        listing = None if pinned is None else _listing(self._gpg, pinned)
        if listing is None or listing.revoked:
            return False
        try:
            _usable_until(listing, now, min_validity)
        except KeyRejected:
            return False
        return True

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
                extra_args=_ENCRYPT_OPTIONS,
            )
        except (OSError, ValueError, RuntimeError) as exc:
            raise EncryptionFailed("gpg could not be run to encrypt") from exc
        return _checked_armour(result, signer)

    def close(self) -> None:
        """Stop the home's gpg-agent (it is started again if the keyring is used again)."""
        _stop_agent(self._home)

    def _load_or_make_service_key(self) -> str:
        configured = None
        if self._service_key is not None:
            configured = check_service_key(self._service_key, self._sender_email)
        fd = os.open(self._home / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            fingerprints = self._secret_fingerprints()
            if not fingerprints:
                self._import_or_make_service_key(configured)
                fingerprints = self._secret_fingerprints()
        if len(fingerprints) != 1:
            raise RuntimeError("the keyring home must hold exactly one secret key")
        if configured is not None and fingerprints != [configured.fingerprint]:
            raise RuntimeError("the keyring home holds another key than the configured one")
        return fingerprints[0]

    def _import_or_make_service_key(self, configured: ServiceKey | None) -> None:
        if configured is None:
            self._make_service_key()
            return
        result = self._gpg.import_keys(configured.armour)
        if not result.fingerprints:
            raise RuntimeError("gpg could not import the configured service key")

    def _secret_fingerprints(self) -> list[str]:
        return [str(key["fingerprint"]) for key in self._gpg.list_keys(secret=True)]

    def _make_service_key(self) -> None:
        _generate_service_key(self._gpg, self._sender_email, self._sender_name)


def new_service_key(sender_email: str, sender_name: str = "KSP service") -> str:
    """A new service signing key, as an armoured secret key without a passphrase.

    For ``KSP_MAIL_SIGNING_KEY_FILE``: made once, kept in the deployment's secret store and
    given to every instance, so that all of them sign as one service.
    """
    _check_sender(sender_email, sender_name)
    with _scratch_gpg() as gpg:
        fingerprint = _generate_service_key(gpg, sender_email, sender_name)
        armour = str(gpg.export_keys(fingerprint, secret=True, armor=True, expect_passphrase=False))
    if "-----BEGIN PGP PRIVATE KEY BLOCK-----" not in armour:
        raise RuntimeError("gpg did not export the new service key")
    return armour


@dataclass(frozen=True)
class ServiceKey:
    """A configured service key that passed :func:`check_service_key`: its fingerprint and
    the key alone, re-exported (nothing else the file held comes along)."""

    fingerprint: str
    armour: str = field(repr=False)


def check_service_key(armored: str, sender_email: str) -> ServiceKey:
    """Check a configured service key in a scratch home, so that a bad file never touches
    the service's keyring: exactly one secret key, which signs without a passphrase (a test
    signature is made) and carries ``sender_email`` in a user ID. Raises ValueError, naming
    no key material, if it is anything else."""
    if len(armored) > _MAX_KEY_CHARS:
        raise ValueError("the service key file is too large")
    with _scratch_gpg() as gpg:
        gpg.import_keys(armored, extra_args=["--batch"])
        secret = gpg.list_keys(secret=True)
        if len(secret) != 1:
            raise ValueError("the service key file must hold exactly one secret key")
        key = secret[0]
        fingerprint = str(key["fingerprint"])
        addresses = {_address_of(_utf8(str(uid))) for uid in key.get("uids", [])}
        if sender_email.lower() not in addresses:
            raise ValueError("the service key has no user ID with the sender address")
        signed = gpg.sign(b"ksp", keyid=fingerprint, extra_args=["--pinentry-mode", "error"])
        if signed.returncode != 0 or not signed.data:
            raise ValueError("the service key cannot sign without a passphrase")
        armour = str(gpg.export_keys(fingerprint, secret=True, expect_passphrase=False))
    if "-----BEGIN PGP PRIVATE KEY BLOCK-----" not in armour:
        raise ValueError("the service key could not be exported again")
    return ServiceKey(fingerprint, armour)


def _check_sender(sender_email: str, sender_name: str) -> None:
    if not _ADDRESS.fullmatch(sender_email):
        raise ValueError("the sender must be a plain e-mail address")
    if not sender_name.isprintable() or set(sender_name) & set("<>()"):
        raise ValueError("the sender name must be printable, without <, >, ( or )")


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


def _make_gpg(home: Path) -> Any:
    return gnupg.GPG(gnupghome=str(home), options=list(_OPTIONS))


@contextlib.contextmanager
def _scratch_gpg() -> Iterator[Any]:
    """A GPG on a fresh 0700 temporary home, its agent stopped and the home removed after."""
    home = Path(tempfile.mkdtemp(prefix="ksp-gpg-"))
    try:
        yield _make_gpg(home)
    finally:
        _stop_agent(home, remove_socket_dir=True)
        shutil.rmtree(home, ignore_errors=True)


def _stop_agent(home: Path, *, remove_socket_dir: bool = False) -> None:
    """Stop the home's gpg-agent and wait (briefly) until it has gone.

    ``remove_socket_dir`` also removes the directory gpg made for the home's sockets
    outside it (under /run/user/UID/gnupg, where that exists), for homes being deleted.
    """
    dirs = _gnupg_dirs(home)
    socket = dirs.get("agent-socket")
    if socket is None or socket.exists():
        _gpgconf(home, "--kill", "all")
    deadline = time.monotonic() + _AGENT_EXIT_SECONDS
    while socket is not None and socket.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    socket_dir = dirs.get("socketdir", home)
    if remove_socket_dir and not socket_dir.is_relative_to(home):
        _gpgconf(home, "--remove-socketdir")


def _gnupg_dirs(home: Path) -> dict[str, Path]:
    """gpgconf's directories and sockets for the home, by name (percent-escaped there)."""
    dirs = {}
    for line in _gpgconf(home, "--list-dirs").splitlines():
        name, colon, value = line.partition(":")
        if colon and value:
            dirs[name] = Path(unquote(value))
    return dirs


def _gpgconf(home: Path, *args: str) -> str:
    gpgconf = shutil.which("gpgconf")
    if gpgconf is None:
        raise RuntimeError("gpgconf is not installed")
    done = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [gpgconf, "--homedir", str(home), *args],
        check=False,
        capture_output=True,
        timeout=_GPGCONF_TIMEOUT_SECONDS,
    )
    return done.stdout.decode("utf-8", errors="replace")


def _single_public_key(gpg: Any, armored: str) -> str:
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


def _listing(gpg: Any, fingerprint: str) -> _Listing | None:
    """The key whose primary fingerprint is ``fingerprint`` (not a subkey's), if present."""
    listed = gpg.list_keys(keys=[fingerprint])
    keys = [key for key in listed if key.get("fingerprint") == fingerprint]
    if len(keys) != 1:
        return None
    key = keys[0]
    subkeys = key.get("subkey_info", {}).values()
    user_ids = tuple(
        _utf8(user_id)
        for user_id in key["uids"]
        if listed.uid_map.get(user_id, {}).get("trust") != "r"
    )
    return _Listing(fingerprint, _part(key), tuple(_part(sub) for sub in subkeys), user_ids)


def _part(fields: dict[str, str]) -> _Part:
    expires = fields.get("expires", "")
    return _Part(
        validity=fields.get("trust", ""),
        capabilities=fields.get("cap", ""),
        expires=datetime.fromtimestamp(int(expires), UTC) if expires else None,
    )


def _utf8(latin1: str) -> str:
    """python-gnupg reads gpg's output as Latin-1; user IDs are UTF-8."""
    return latin1.encode("latin-1").decode("utf-8", errors="replace")


def _address_of(user_id: str) -> str | None:
    """The address of ``Name (Comment) <addr>`` or of a bare ``addr``, case-folded."""
    text = user_id.strip()
    if "<" in text or ">" in text:
        name, opening, rest = text.partition("<")
        address, closing, tail = rest.partition(">")
        if not (opening and closing) or tail or "<" in name + address or ">" in name:
            return None
    else:
        address = text
    return address.casefold() if _ADDRESS.fullmatch(address) else None


def _usable_until(listing: _Listing, now: datetime, min_validity: timedelta) -> datetime | None:
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
