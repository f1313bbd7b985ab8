"""What the benchmarks need of mail, from the one copy the tests use (``tests/support``),
and the one way they serve the service delivering there.

- :class:`SmtpServer` (``tests/support/smtp.py``): aiosmtpd on loopback requiring STARTTLS
  and AUTH, with a CA of its own; it keeps every message with the ``time.perf_counter()`` of
  its arrival, and the time of every EHLO.
- :class:`KeyMaker` (``tests/support/keys.py``): a GnuPG home (no passphrases) that makes
  ed25519 keys with a cv25519 encryption subkey, exports the public parts and decrypts what
  was encrypted to them.
- :func:`mail_service`: a real ``ksp serve`` delivering to such a server (the set-up of
  ``bench/circulation.py`` and ``bench/smime_circulation.py``); :func:`arrived` waits for a
  circulation's messages there and :class:`Delivered` times them.

The repository's ``tests/`` directory is put on ``sys.path`` here, once, as pytest does with
``pythonpath = ["tests"]``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness import (
    KSP,
    Backend,
    BenchError,
    Server,
    free_port,
    ksp,
    log_tail,
    running,
    service_env,
    token,
    wait_healthy,
)
from list_version import ARREST_UNIT, KIF_UNIT

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from support.keys import KeyMaker, stop_agent  # noqa: E402 - needs TESTS_DIR on the path
from support.smtp import Captured, SmtpServer  # noqa: E402

__all__ = [
    "TESTS_DIR",
    "Captured",
    "Delivered",
    "KeyMaker",
    "MailService",
    "SmtpServer",
    "arrived",
    "mail_service",
    "stop_agent",
]

# aiosmtpd 1.4 logs a warning about its own deprecated attribute at every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)

POLL_S = 0.005  # how often the bench looks at what the SMTP server received


@dataclass(frozen=True)
class MailService:
    server: Server
    env: dict[str, str]  # the service's environment, for more `ksp` commands
    tokens: dict[str, str]  # "kif" (KIF_UNIT) and "arrest" (ARREST_UNIT) bearer tokens


@contextlib.contextmanager
def mail_service(
    backend: Backend,
    smtp: SmtpServer,
    work: Path,
    *,
    mail_from: str,
    extra_env: dict[str, str] | None = None,
) -> Iterator[MailService]:
    """A fresh data dir (``ksp init``, ``ksp db upgrade``) on ``backend`` and ``ksp serve``
    on it, delivering to ``smtp`` from ``mail_from``, healthy before it is handed over. On
    the way out it is stopped (having died meanwhile is an error) and so is its gpg-agent."""
    port = free_port()
    data_dir = work / "ksp-data"
    env = service_env(data_dir, backend.service_url, port)
    env.update(smtp.env(), KSP_MAIL_FROM=mail_from, **(extra_env or {}))
    ksp(env, "init")  # makes the signing key: `ksp mail key` only prints it
    ksp(env, "db", "upgrade")
    tokens = {
        "kif": token(env, "kif", KIF_UNIT, "bench-kif"),
        "arrest": token(env, "arrest", ARREST_UNIT, "bench-arrest"),
    }
    try:
        with running("service", [str(KSP), "serve"], env, port, work) as server:
            wait_healthy(server)
            yield MailService(server, env, tokens)
            if server.process.poll() is not None:
                raise BenchError(f"the service died:\n{log_tail(server.log)}")
    finally:
        stop_agent(data_dir / "gnupg")


async def arrived(
    smtp: SmtpServer, circulation_id: str, count: int, timeout_s: float
) -> list[Captured]:
    """The circulation's messages (their Message-IDs name it), once ``count`` arrived."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [m for m in smtp.messages if circulation_id in m.message_id]
        if len(found) >= count:
            return found
        await asyncio.sleep(POLL_S)
    found = [m for m in smtp.messages if circulation_id in m.message_id]
    raise BenchError(f"{len(found)} of {count} messages arrived in {timeout_s:g} s")


@dataclass(frozen=True)
class Delivered:
    """Seconds from the circulation's 202 until its first and its last message arrived."""

    first_s: float
    all_s: float

    @classmethod
    def since(cls, answered: float, messages: Sequence[Captured]) -> Delivered:
        first = min(message.at for message in messages)
        last = max(message.at for message in messages)
        return cls(max(0.0, first - answered), max(0.0, last - answered))
