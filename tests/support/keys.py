"""Test keys made by the real gpg: ed25519 with a cv25519 subkey, at chosen times.

Each :class:`KeyMaker` is a GnuPG home holding the secret keys it made, so it can also
decrypt what was encrypted to them. Keys are made "in the past" with gpg's
``--faked-system-time``, so an expired key is a real expired key, not a doctored one.
Times are whole seconds, as OpenPGP stores them. :func:`made_catalogue` makes the set of
good and unusable keys the tests share, once per module. The benchmarks use the same
:class:`KeyMaker` (``bench/mail_support.py``).

(Fixtures live in the test modules that use them.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

import gnupg

NOW = datetime.now(UTC).replace(microsecond=0)
DAY = timedelta(days=1)
YEAR = 365 * DAY
YESTERDAY = NOW - DAY
LONG_AGO = NOW - 400 * DAY
ALICE = "Alice <a@x.dk>"


def _expiry(lifetime: timedelta | None) -> str:
    return "never" if lifetime is None else f"seconds={int(lifetime.total_seconds())}"


class KeyMaker:
    """A GnuPG home that makes keys and keeps their secret parts."""

    def __init__(self, home: Path) -> None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.home = home

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def gpg(self, *args: str, at: datetime | None = None, stdin: bytes = b"") -> str:
        """Run gpg on this home (no passphrases, batch mode); its standard output."""
        command = ["gpg", "--homedir", str(self.home), "--batch", "--yes", "--no-tty"]
        command += ["--pinentry-mode", "loopback", "--passphrase", "", "--status-fd", "1"]
        if at is not None:
            command += ["--faked-system-time", at.strftime("%Y%m%dT%H%M%S!")]
        done = subprocess.run([*command, *args], input=stdin, capture_output=True, check=True)
        return done.stdout.decode("utf-8")

    def make(
        self,
        user_id: str,
        *,
        at: datetime = NOW,
        lifetime: timedelta | None = None,
        encryption: bool = True,
        encryption_lifetime: timedelta | None = None,
    ) -> str:
        """A new key made at ``at``; its fingerprint. Lifetimes of None never end."""
        out = self.gpg("--quick-gen-key", user_id, "ed25519", "sign", _expiry(lifetime), at=at)
        fingerprint = _created(out)
        if encryption:
            expiry = _expiry(encryption_lifetime)
            self.gpg("--quick-add-key", fingerprint, "cv25519", "encr", expiry, at=at)
        return fingerprint

    def add_encryption_subkey(self, fingerprint: str, *, at: datetime = NOW) -> None:
        self.gpg("--quick-add-key", fingerprint, "cv25519", "encr", "never", at=at)

    def public(self, *fingerprints: str) -> str:
        """The public keys in one ASCII-armoured block (without gpg's status lines)."""
        out = self.gpg("--armor", "--export", *fingerprints)
        lines = out.splitlines(keepends=True)
        return "".join(line for line in lines if not line.startswith("[GNUPG:]"))

    def import_keys(self, armour: str) -> None:
        self.gpg("--import", stdin=armour.encode("ascii"))

    def secret(self, fingerprint: str) -> str:
        return self.gpg("--armor", "--export-secret-keys", fingerprint)

    def revoke(self, fingerprint: str) -> None:
        """Import the revocation certificate gpg made with the key."""
        certificate = (self.home / "openpgp-revocs.d" / f"{fingerprint}.rev").read_text()
        armour = certificate.replace(":-----BEGIN PGP", "-----BEGIN PGP")
        self.gpg("--import", stdin=armour.encode("ascii"))

    def revoke_subkey(self, fingerprint: str) -> None:
        """Revoke the key's first subkey (gpg's key editor, driven through --command-fd)."""
        commands = "key 1\nrevkey\ny\n0\n\ny\nsave\n"
        self.gpg("--command-fd", "0", "--edit-key", fingerprint, stdin=commands.encode())

    def revoke_user_id(self, fingerprint: str, user_id: str) -> None:
        self.gpg("--quick-revoke-uid", fingerprint, user_id)

    def encryption_subkeys(self, fingerprint: str) -> list[str]:
        """The key IDs of the key's encryption subkeys."""
        listing = self.gpg("--with-colons", "--list-keys", fingerprint)
        fields = [line.split(":") for line in listing.splitlines()]
        return [f[4] for f in fields if f[0] == "sub" and "e" in f[11]]

    def decrypt(self, message: bytes) -> Any:
        """python-gnupg's result of decrypting (and verifying) ``message`` here."""
        return gnupg.GPG(gnupghome=str(self.home)).decrypt(message)

    def close(self) -> None:
        stop_agent(self.home)


def stop_agent(home: Path) -> None:
    """Stop the gpg-agent of one GnuPG home (and nothing else)."""
    subprocess.run(
        ["gpgconf", "--homedir", str(home), "--kill", "all"], capture_output=True, check=False
    )


def _created(status: str) -> str:
    for line in status.splitlines():
        if line.startswith("[GNUPG:] KEY_CREATED "):
            return line.split()[3]
    raise AssertionError("gpg made no key")


def agent_command_lines() -> list[str]:
    """The command lines of the running gpg-agents (zombies have none)."""
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "gpg-agent" in command:
                lines.append(command)
    return lines


@dataclass(frozen=True)
class Catalogue:
    """The fingerprints of the test keys, all held by one :class:`KeyMaker`.

    All carry ``ALICE`` except ``other``; made yesterday unless from ``LONG_AGO``.
    """

    maker: KeyMaker
    good: str  # primary expires in two years, encryption subkey never
    subkey_expires: str  # primary never, encryption subkey in a year
    forever: str  # nothing expires
    other: str  # a good key of Bob's
    expired: str  # made 400 days ago, lived a year
    expires_soon: str  # primary in ten days
    subkey_expired: str  # primary valid, its only encryption subkey expired
    subkey_expires_soon: str  # its only encryption subkey expires in ten days
    subkey_revoked: str  # its only encryption subkey revoked
    sign_only: str
    revoked: str
    user_id_revoked: str  # the user ID with Alice's address revoked, another one kept


@contextmanager
def made_catalogue(home: Path) -> Iterator[Catalogue]:
    """The catalogue's keys made in ``home``; its agent stopped afterwards."""
    maker = KeyMaker(home)
    try:
        yield _make_catalogue(maker)
    finally:
        maker.close()


def _make_catalogue(maker: KeyMaker) -> Catalogue:
    make = maker.make
    keys = Catalogue(
        maker=maker,
        good=make(ALICE, at=YESTERDAY, lifetime=2 * YEAR),
        subkey_expires=make(ALICE, at=YESTERDAY, encryption_lifetime=YEAR),
        forever=make(ALICE, at=YESTERDAY),
        other=make("Bob <b@x.dk>", at=YESTERDAY),
        expired=make(ALICE, at=LONG_AGO, lifetime=YEAR, encryption_lifetime=YEAR),
        expires_soon=make(ALICE, at=YESTERDAY, lifetime=11 * DAY),
        subkey_expired=make(ALICE, at=LONG_AGO, encryption_lifetime=YEAR),
        subkey_expires_soon=make(ALICE, at=YESTERDAY, encryption_lifetime=11 * DAY),
        subkey_revoked=make(ALICE, at=YESTERDAY),
        sign_only=make(ALICE, at=YESTERDAY, encryption=False),
        revoked=make(ALICE, at=YESTERDAY),
        user_id_revoked=make(ALICE, at=YESTERDAY),
    )
    maker.revoke_subkey(keys.subkey_revoked)
    maker.revoke(keys.revoked)
    maker.gpg("--quick-add-uid", keys.user_id_revoked, "Alice at home <alice@home.dk>")
    maker.revoke_user_id(keys.user_id_revoked, ALICE)
    return keys
