"""What the benchmarks need of mail, from the one copy the tests use (``tests/support``).

- :class:`SmtpServer` (``tests/support/smtp.py``): aiosmtpd on loopback requiring STARTTLS
  and AUTH, with a CA of its own; it keeps every message with the ``time.perf_counter()`` of
  its arrival, and the time of every EHLO.
- :class:`KeyMaker` (``tests/support/keys.py``): a GnuPG home (no passphrases) that makes
  ed25519 keys with a cv25519 encryption subkey, exports the public parts and decrypts what
  was encrypted to them.

The repository's ``tests/`` directory is put on ``sys.path`` here, once, as pytest does with
``pythonpath = ["tests"]``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from support.keys import KeyMaker, stop_agent  # noqa: E402 - needs TESTS_DIR on the path
from support.smtp import Captured, SmtpServer  # noqa: E402

__all__ = ["TESTS_DIR", "Captured", "KeyMaker", "SmtpServer", "stop_agent"]

# aiosmtpd 1.4 logs a warning about its own deprecated attribute at every AUTH.
logging.getLogger("mail.log").setLevel(logging.ERROR)
