"""``ksp journal verify``: check an export bundle offline and say so in one line;
``ksp journal verify-receipt``: check a document version's receipt the same way.

Prints ``intact: N entries, checkpoint at N`` and returns 0, or
``NOT INTACT: first bad entry <seq or ->: <reason>`` and returns 1. The line holds only
counts, a sequence number and a fixed reason, never journal data.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TextIO

from ksp.journal.bundle import verify_bundle
from ksp.journal.checkpoint import verifier_key
from ksp.journal.receipt import InvalidReceipt, parse_receipt, verify_receipt

__all__ = ["verify_command", "verify_receipt_command"]


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


def verify_receipt_command(receipt: Path, document: Path, vkey: str, out: TextIO) -> int:
    """Check a ``tlog-proof@v1`` receipt for the document bytes in ``document`` against the
    journal's verifier key: 0 and ``receipt holds: …`` if it does, else 1 and the reason."""
    key = _public_key_of(vkey)
    origin = vkey.strip().split("+", 1)[0]
    if key is None or verifier_key(origin, key) != vkey.strip():
        out.write("RECEIPT DOES NOT HOLD: unexpected public key\n")
        return 1
    try:
        parsed = parse_receipt(receipt.read_text(encoding="utf-8"))
        checkpoint = verify_receipt(parsed, document.read_bytes(), public_key=key, origin=origin)
    except (InvalidReceipt, UnicodeError) as refused:
        reason = str(refused) if isinstance(refused, InvalidReceipt) else "not UTF-8 text"
        out.write(f"RECEIPT DOES NOT HOLD: {reason}\n")
        return 1
    out.write(
        f"receipt holds: entry {parsed.index + 1} in the checkpoint at {checkpoint.tree_size}\n"
    )
    return 0
