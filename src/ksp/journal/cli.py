"""``ksp journal verify``: check an export bundle offline and say so in one line.

Prints ``intact: N entries, checkpoint at N`` and returns 0, or
``NOT INTACT: first bad entry <seq or ->: <reason>`` and returns 1. The line holds only
counts, a sequence number and a fixed reason, never journal data.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TextIO

from ksp.journal.bundle import verify_bundle

__all__ = ["verify_command"]


def verify_command(
    bundle: Path,
    trusted_checkpoint: Path | None,
    out: TextIO,
    *,
    expected_vkey: str | None = None,
) -> int:
    """Verify ``bundle`` (against a kept checkpoint note, and the journal's verifier key as
    ``ksp journal key`` prints it, if given); 0 if intact, else 1.

    Without ``expected_vkey`` the bundle's own key is trusted: pin it, or anyone could hand
    over a bundle they signed themselves.
    """
    trusted = None
    if trusted_checkpoint is not None:
        trusted = trusted_checkpoint.read_text(encoding="utf-8")
    expected = None if expected_vkey is None else _public_key_of(expected_vkey)
    if expected_vkey is not None and expected is None:
        out.write("NOT INTACT: first bad entry -: unexpected public key\n")
        return 1
    with bundle.open(encoding="utf-8") as lines:
        result = verify_bundle(lines, trusted=trusted, expected_public_key=expected)
    if result.ok:
        size = 0 if result.checkpoint is None else result.checkpoint.tree_size
        out.write(f"intact: {result.entries} entries, checkpoint at {size}\n")
        return 0
    seq = "-" if result.first_bad_seq is None else str(result.first_bad_seq)
    out.write(f"NOT INTACT: first bad entry {seq}: {result.reason}\n")
    return 1


def _public_key_of(vkey: str) -> bytes | None:
    """The Ed25519 key of a C2SP verifier key ``name+hash+base64(0x01 || key)``."""
    try:
        raw = base64.b64decode(vkey.strip().split("+", 2)[2], validate=True)  # name has no +
    except (IndexError, ValueError):
        return None
    return raw[1:] if len(raw) == 33 and raw[0] == 1 else None
