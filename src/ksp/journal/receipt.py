"""Receipts: C2SP ``tlog-proof@v1`` proofs that a document version is in the journal.

::

    c2sp.org/tlog-proof@v1
    extra <base64 of the entry header>
    index <entry seq - 1>
    <base64 inclusion proof hash, leaf's sibling first>
    ...

    <the signed checkpoint note, verbatim>

The header (unauthenticated ``extra``) lets a verifier rebuild the leaf: the document's
SHA-256 must be the header's ``plaintext_sha256``, the header's ``seq`` must be ``index +
1``, and ``SHA-256(0x00 || header)`` must be included, by the proof, in the tree whose root
the checkpoint signs. Every fault of :func:`verify_receipt` is one :class:`InvalidReceipt`
with a fixed reason (no document data).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ksp.journal.checkpoint import Checkpoint, InvalidCheckpoint, strict_b64, verify_checkpoint
from ksp.journal.entry import MalformedEntry, entry_hash, parse_header
from ksp.journal.proofs import InvalidProof, verify_inclusion

__all__ = ["InvalidReceipt", "Receipt", "encode_receipt", "parse_receipt", "verify_receipt"]

FORMAT = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile("index (0|[1-9][0-9]{0,19})")
_MAX_PROOF = 64


class InvalidReceipt(Exception):
    """A receipt that does not show the document is in the journal; the message says why."""


@dataclass(frozen=True, slots=True)
class Receipt:
    header: bytes
    index: int
    proof: Sequence[bytes]
    checkpoint: str


def encode_receipt(receipt: Receipt) -> str:
    lines = [
        FORMAT,
        "extra " + base64.b64encode(receipt.header).decode("ascii"),
        f"index {receipt.index}",
        *(base64.b64encode(value).decode("ascii") for value in receipt.proof),
    ]
    return "\n".join(lines) + "\n\n" + receipt.checkpoint


def parse_receipt(text: str) -> Receipt:
    """The receipt in ``text``; :class:`InvalidReceipt` if it is not a tlog-proof with extra."""
    head, blank, checkpoint = text.partition("\n\n")
    lines = head.split("\n")
    if not blank or len(lines) < 3 or lines[0] != FORMAT or not lines[1].startswith("extra "):
        raise InvalidReceipt("not a c2sp.org/tlog-proof@v1 receipt with an entry header")
    index = _INDEX.fullmatch(lines[2])
    if index is None or len(lines) - 3 > _MAX_PROOF:
        raise InvalidReceipt("not a c2sp.org/tlog-proof@v1 receipt with an entry header")
    try:
        header = strict_b64(lines[1].removeprefix("extra "))
        proof = [strict_b64(line) for line in lines[3:]]
    except ValueError:
        raise InvalidReceipt("a receipt line is not base64") from None
    return Receipt(header, int(index.group(1)), proof, checkpoint)


def verify_receipt(
    receipt: Receipt, document: bytes, *, public_key: bytes, origin: str
) -> Checkpoint:
    """The checkpoint that includes ``document``'s journal entry; :class:`InvalidReceipt`."""
    try:
        header = parse_header(receipt.header)
    except MalformedEntry:
        raise InvalidReceipt("the entry header is malformed") from None
    if header.plaintext_sha256 != hashlib.sha256(document).hexdigest():
        raise InvalidReceipt("the document is not the one in the entry header")
    if header.seq != receipt.index + 1:
        raise InvalidReceipt("the entry header is not the entry at the index")
    try:
        checkpoint = verify_checkpoint(receipt.checkpoint, public_key=public_key, origin=origin)
    except InvalidCheckpoint:
        raise InvalidReceipt("the checkpoint is not signed by the journal key") from None
    try:
        verify_inclusion(
            index=receipt.index,
            size=checkpoint.tree_size,
            leaf=entry_hash(receipt.header),
            proof=receipt.proof,
            root=checkpoint.root,
        )
    except InvalidProof:
        raise InvalidReceipt("the entry is not included in the checkpoint's tree") from None
    return checkpoint
