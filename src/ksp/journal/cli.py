"""``ksp journal verify``: check an export bundle offline and say so in one line;
``ksp journal verify-receipt``: check a document version's receipt the same way.

Prints ``intact: N entries, checkpoint at N`` and returns 0, or
``NOT INTACT: first bad entry <seq or ->: <reason>`` and returns 1. The line holds only
counts, a sequence number and a fixed reason, never journal data. A usage or file error
(no journal key, a key that is not a verifier key, a file that cannot be read) is one line
on stderr and returns 2.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TextIO

from ksp.journal.bundle import verify_bundle
from ksp.journal.checkpoint import verifier_key
from ksp.journal.receipt import InvalidReceipt, parse_receipt, verify_receipt

__all__ = [
    "verify_command",
    "verify_main",
    "verify_receipt_command",
    "verify_witnessed_receipt_command",
]

USAGE_ERROR = 2
UNTRUSTED_WARNING = (
    "ksp: WARNING: --trust-bundle-key: the bundle is checked against the key it carries "
    "itself. This proves nothing about where it came from: anyone can sign a bundle of "
    "their own. Pin the journal key with --journal-key.\n"
)


def verify_main(
    bundle: Path,
    trusted_checkpoint: Path | None,
    *,
    journal_key: str | None,
    trust_bundle_key: bool,
    out: TextIO,
    err: TextIO,
    policy: Path | None = None,
) -> int:
    """The command: a journal key is required (or, loudly, ``trust_bundle_key``); every
    usage or file error is a line on ``err`` and 2, never a traceback."""
    problem = _key_problem(journal_key, trust_bundle_key=trust_bundle_key)
    if problem is not None:
        err.write(problem)
        return USAGE_ERROR
    if trust_bundle_key:
        err.write(UNTRUSTED_WARNING)
    from ksp.witness.policy import InvalidPolicy  # noqa: PLC0415 - ksp.witness imports us

    try:
        code = verify_command(bundle, trusted_checkpoint, out, expected_vkey=journal_key)
        if code != 0 or policy is None:
            return code
        return _verify_quorum(bundle, policy, out)
    except InvalidPolicy as exc:
        err.write(f"ksp: {policy} is not a C2SP tlog-policy: {exc}\n")
    except UnicodeDecodeError:
        err.write(f"ksp: {trusted_checkpoint} is not UTF-8 text\n")
    except OSError as exc:
        err.write(f"ksp: {exc.filename}: {exc.strerror}\n")
    return USAGE_ERROR


def _key_problem(journal_key: str | None, *, trust_bundle_key: bool) -> str | None:
    if journal_key is None and not trust_bundle_key:
        return (
            "ksp: journal verify needs --journal-key VKEY (the verifier key `ksp journal key` "
            "printed where the journal is kept), or --trust-bundle-key\n"
        )
    if journal_key is not None and trust_bundle_key:
        return "ksp: give --journal-key or --trust-bundle-key, not both\n"
    if journal_key is not None and _public_key_of(journal_key) is None:
        return (
            "ksp: --journal-key is not a verifier key (name+key id+base64 key, "
            "as `ksp journal key` prints it)\n"
        )
    return None


def _verify_quorum(bundle: Path, policy_file: Path, out: TextIO) -> int:
    from ksp.journal.bundle_witness import witnessed_in_bundle  # noqa: PLC0415
    from ksp.witness.policy import parse_policy  # noqa: PLC0415 - ksp.witness imports us

    policy = parse_policy(policy_file.read_text(encoding="utf-8"))
    with bundle.open(encoding="utf-8") as lines:
        witnessed = witnessed_in_bundle(lines, policy)
    if witnessed.reason is not None:
        out.write(f"NOT INTACT: first bad entry -: {witnessed.reason}\n")
        return 1
    out.write(
        f"witnessed: checkpoint at {witnessed.quorum_size} cosigned by a quorum "
        f"({', '.join(witnessed.cosigners) or 'quorum none'})\n"
    )
    return 0


def verify_command(
    bundle: Path,
    trusted_checkpoint: Path | None,
    out: TextIO,
    *,
    expected_vkey: str | None = None,
) -> int:
    """Verify ``bundle`` (against a kept checkpoint note, and the journal's verifier key as
    ``ksp journal key`` prints it, if given); 0 if intact, else 1.

    The verifier key pins the key's name (the journal's origin), its key id and the key
    bytes, as the checkpoints' signature lines name them. Without ``expected_vkey`` the
    bundle's own key is trusted: pin it, or anyone could hand over a bundle they signed
    themselves. A file that cannot be read raises :class:`OSError`.
    """
    trusted = None
    if trusted_checkpoint is not None:
        trusted = trusted_checkpoint.read_text(encoding="utf-8")
    expected = None if expected_vkey is None else _public_key_of(expected_vkey)
    if expected_vkey is not None and expected is None:
        out.write("NOT INTACT: first bad entry -: unexpected public key\n")
        return 1
    with bundle.open(encoding="utf-8") as lines:
        result = verify_bundle(
            lines,
            trusted=trusted,
            expected_public_key=expected,
            expected_vkey=None if expected_vkey is None else expected_vkey.strip(),
        )
    if result.ok:
        size = 0 if result.checkpoint is None else result.checkpoint.tree_size
        out.write(f"intact: {result.entries} entries, checkpoint at {size}\n")
        return 0
    seq = "-" if result.first_bad_seq is None else str(result.first_bad_seq)
    out.write(f"NOT INTACT: first bad entry {seq}: {result.reason}\n")
    return 1


def _public_key_of(vkey: str) -> bytes | None:
    """The Ed25519 key of a C2SP verifier key ``name+hex(key id)+base64(0x01 || key)``,
    if its key id is the one its name and key give; else None."""
    name, _, rest = vkey.strip().partition("+")  # a key name has no +
    try:
        raw = base64.b64decode(rest.partition("+")[2], validate=True)
    except ValueError:
        return None
    if len(raw) != 33 or raw[0] != 1 or not name:  # 0x01 (Ed25519) || a 32-byte key
        return None
    key = raw[1:]
    return key if verifier_key(name, key) == vkey.strip() else None


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


def verify_witnessed_receipt_command(
    receipt: Path, document: Path, policy_file: Path, newer: Path | None, out: TextIO
) -> int:
    """``verify-receipt --policy``: 0 and ``receipt holds: …`` or 1 and the reason."""
    from ksp.journal.witnessed_receipt import verify_witnessed_receipt  # noqa: PLC0415
    from ksp.witness.policy import InvalidPolicy, parse_policy  # noqa: PLC0415

    try:
        policy = parse_policy(policy_file.read_text(encoding="utf-8"))
        held = verify_witnessed_receipt(
            receipt.read_text(encoding="utf-8"),
            document.read_bytes(),
            policy,
            None if newer is None else newer.read_text(encoding="utf-8"),
        )
    except InvalidPolicy as exc:
        out.write(f"RECEIPT DOES NOT HOLD: the policy is not a C2SP tlog-policy: {exc}\n")
        return 1
    except (InvalidReceipt, UnicodeError) as refused:
        reason = str(refused) if isinstance(refused, InvalidReceipt) else "not UTF-8 text"
        out.write(f"RECEIPT DOES NOT HOLD: {reason}\n")
        return 1
    line = f"receipt holds: entry {held.entry} in the checkpoint at {held.tree_size}"
    if held.newer_size is not None:
        line += f", extended by the checkpoint at {held.newer_size}"
    out.write(f"{line}, cosigned by {', '.join(held.cosigners) or 'no witness (quorum none)'}\n")
    return 0
