"""``ksp journal verify-receipt --policy``: a receipt checked against a C2SP tlog-policy.

The receipt holds when its document is the entry's (hash against the header), the entry
is in the checkpoint's tree (the audit path), the checkpoint is signed by the policy's log
and cosigned by a quorum of its witnesses. With ``newer`` (the JSON that
``GET /api/v1/audit/proofs/consistency?from=<receipt's size>&to=<newer size>`` answers: a
consistency proof and the newer checkpoint with its cosignatures), it also holds when the
newer checkpoint meets the quorum and extends the receipt's: nothing was rewritten since.
Sizes and roots come from the signed checkpoints, never from the proof.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from ksp.journal.proofs import InvalidProof, verify_consistency
from ksp.journal.receipt import InvalidReceipt, parse_receipt, verify_receipt
from ksp.witness.policy import Cosigned, NotCosigned, Policy, check_cosigned

__all__ = ["Held", "verify_witnessed_receipt"]


@dataclass(frozen=True, slots=True)
class Held:
    entry: int
    tree_size: int
    cosigners: tuple[str, ...]
    newer_size: int | None


def verify_witnessed_receipt(
    receipt_text: str, document: bytes, policy: Policy, newer: str | None = None
) -> Held:
    """What the receipt shows; :class:`InvalidReceipt` with a fixed reason if it does not."""
    receipt = parse_receipt(receipt_text)
    origin = receipt.checkpoint.split("\n", 1)[0]
    log = policy.log_for(origin)
    if log is None:
        raise InvalidReceipt("no log of the policy has the checkpoint's origin")
    checkpoint = verify_receipt(receipt, document, public_key=log.public_key, origin=log.name)
    own = _cosigned(receipt.checkpoint, policy)
    if newer is None:
        if not own.quorum:
            raise InvalidReceipt("the checkpoint is not cosigned by a quorum of the witnesses")
        return Held(receipt.index + 1, checkpoint.tree_size, tuple(sorted(own.cosigners)), None)
    later = _newer(newer, policy, checkpoint.tree_size, checkpoint.root)
    return Held(
        receipt.index + 1,
        checkpoint.tree_size,
        tuple(sorted(later.cosigners)),
        later.checkpoint.tree_size,
    )


def _cosigned(note: str, policy: Policy) -> Cosigned:
    try:
        return check_cosigned(note, policy)
    except NotCosigned as refused:
        raise InvalidReceipt(str(refused)) from None


def _newer(text: str, policy: Policy, size: int, root: bytes) -> Cosigned:
    try:
        data = json.loads(text)
        note = data["checkpoint"]
        proof = [base64.b64decode(value, validate=True) for value in data["proof"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidReceipt("the newer checkpoint is not a consistency proof's JSON") from None
    if not isinstance(note, str):
        raise InvalidReceipt("the newer checkpoint is not a consistency proof's JSON")
    later = _cosigned(note, policy)
    if not later.quorum:
        raise InvalidReceipt("the newer checkpoint is not cosigned by a quorum of the witnesses")
    try:
        verify_consistency(
            size1=size,
            size2=later.checkpoint.tree_size,
            root1=root,
            root2=later.checkpoint.root,
            proof=proof,
        )
    except InvalidProof:
        raise InvalidReceipt("the journal was rewritten since the receipt's checkpoint") from None
    return later
