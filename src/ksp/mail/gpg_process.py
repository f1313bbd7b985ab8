"""GnuPG process plumbing: the options every gpg call runs with, scratch homes, agents.

Every home is used through :func:`make_gpg`, with no gpg.conf, no network and no look-up by
address. :func:`scratch_gpg` gives a fresh 0700 temporary home whose agent is stopped and
which is removed afterwards, so that keys under inspection never reach a real keyring.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import gnupg

__all__ = [
    "ENCRYPT_OPTIONS",
    "IMPORT_OPTIONS",
    "MAX_KEY_CHARS",
    "checked_listing",
    "make_gpg",
    "scratch_gpg",
    "stop_agent",
    "utf8",
]

MAX_KEY_CHARS = 1024 * 1024
_GPGCONF_TIMEOUT_SECONDS = 10
_AGENT_EXIT_SECONDS = 2
_GPG_TIMEOUT_SECONDS = 30
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
ENCRYPT_OPTIONS = ["--no-encrypt-to", "--no-default-recipient"]
IMPORT_OPTIONS = ["--import-options", "import-minimal"]


def make_gpg(home: Path) -> Any:
    return gnupg.GPG(gnupghome=str(home), options=list(_OPTIONS))


@contextlib.contextmanager
def scratch_gpg() -> Iterator[Any]:
    """A GPG on a fresh 0700 temporary home, its agent stopped and the home removed after."""
    home = Path(tempfile.mkdtemp(prefix="ksp-gpg-"))
    try:
        yield make_gpg(home)
    finally:
        stop_agent(home, remove_socket_dir=True)
        shutil.rmtree(home, ignore_errors=True)


def stop_agent(home: Path, *, remove_socket_dir: bool = False) -> None:
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


def utf8(latin1: str) -> str:
    """python-gnupg reads gpg's output as Latin-1; user IDs are UTF-8."""
    return latin1.encode("latin-1").decode("utf-8", errors="replace")


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


def checked_listing(gpg: Any, *fingerprints: str) -> bytes:
    """gpg's colon listing of the ``fingerprints`` with every signature checked
    (``--check-sigs``), in one gpg process: the raw bytes, for
    :func:`ksp.mail.key_listing.parse_listing`. Empty if gpg fails (one key missing fails
    the whole listing)."""
    command = gpg.make_args(["--check-sigs", "--", *fingerprints], passphrase=False)
    done = subprocess.run(  # noqa: S603 - python-gnupg's own argument list, no shell
        command, check=False, capture_output=True, timeout=_GPG_TIMEOUT_SECONDS
    )
    return done.stdout if done.returncode == 0 else b""
