"""`ksp journal verify-receipt --policy [--newer]`: a receipt holds with the witnesses'
quorum on its checkpoint, or on a newer checkpoint that extends it; never otherwise."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.cli import main as ksp_main
from ksp.journal.merkle import Frontier
from ksp.journal.proofs import NodeId, inclusion_plan
from ksp.journal.receipt import InvalidReceipt, Receipt, encode_receipt
from ksp.journal.witnessed_receipt import verify_witnessed_receipt
from ksp.witness.cosignature import Cosigner, note_body
from ksp.witness.policy import parse_policy
from unit.journal.journal_builder import Journal
from unit.journal.test_receipt import DOCUMENTS, journal, receipt_for
from unit.witness.witness_journal import consistency

W1 = Cosigner(Ed25519PrivateKey.from_private_bytes(bytes([21]) * 32), "audit.example/w1")
W2 = Cosigner(Ed25519PrivateKey.from_private_bytes(bytes([22]) * 32), "partner.example/w2")


def policy_text(built: Journal) -> str:
    return (
        f"log {built.signer.vkey}\nwitness w1 {W1.vkey.encode()}\n"
        f"witness w2 {W2.vkey.encode()}\ngroup both all w1 w2\nquorum both\n"
    )


def cosigned(note: str, *cosigners: Cosigner) -> str:
    return note + "".join(c.cosign(note_body(note)) for c in cosigners)


def receipt_text(built: Journal, seq: int, *cosigners: Cosigner) -> str:
    receipt = receipt_for(built, seq)
    return encode_receipt(
        Receipt(
            receipt.header, receipt.index, receipt.proof, cosigned(receipt.checkpoint, *cosigners)
        )
    )


def newer_json(built: Journal, old: int, new: int, *cosigners: Cosigner) -> str:
    proof = [base64.b64encode(h).decode() for h in consistency(built, old, new)]
    return json.dumps(
        {"proof": proof, "checkpoint": cosigned(built.checkpoints[new - 1], *cosigners)}
    )


def test_a_receipt_cosigned_by_the_quorum_holds_for_its_document_only() -> None:
    built = journal()
    policy = parse_policy(policy_text(built))
    text = receipt_text(built, 3, W1, W2)
    held = verify_witnessed_receipt(text, DOCUMENTS[2], policy)
    assert (held.entry, held.tree_size, held.cosigners) == (3, len(DOCUMENTS), ("w1", "w2"))
    with pytest.raises(InvalidReceipt, match="not the one"):
        verify_witnessed_receipt(text, DOCUMENTS[3], policy)


def test_a_receipt_without_the_quorum_does_not_hold() -> None:
    built = journal()
    with pytest.raises(InvalidReceipt, match="quorum"):
        verify_witnessed_receipt(
            receipt_text(built, 3, W1), DOCUMENTS[2], parse_policy(policy_text(built))
        )


def test_a_newer_cosigned_checkpoint_that_extends_the_receipt_makes_it_hold() -> None:
    """The receipt's own checkpoint was not cosigned (a witness was down); a later one is,
    and its consistency proof shows the receipt's tree is its prefix."""
    built = journal()
    proof = inclusion_plan(1, 4).hashes(_nodes(built, 4))
    short = encode_receipt(Receipt(built.entries[1].header, 1, proof, built.checkpoints[3]))
    policy = parse_policy(policy_text(built))
    held = verify_witnessed_receipt(short, DOCUMENTS[1], policy, newer_json(built, 4, 7, W1, W2))
    assert (held.tree_size, held.newer_size, held.cosigners) == (4, 7, ("w1", "w2"))
    rewritten = Journal(signer=built.signer)
    for n, document in enumerate(DOCUMENTS, start=1):
        rewritten.append(b'{"rewritten":1}' if n == 3 else document)
    with pytest.raises(InvalidReceipt, match="rewritten"):
        verify_witnessed_receipt(short, DOCUMENTS[1], policy, newer_json(rewritten, 4, 7, W1, W2))
    with pytest.raises(InvalidReceipt, match="quorum"):
        verify_witnessed_receipt(short, DOCUMENTS[1], policy, newer_json(built, 4, 7, W1))


def _nodes(built: Journal, size: int) -> dict[NodeId, bytes]:
    frontier, nodes = Frontier(), dict[NodeId, bytes]()
    for entry in built.entries[:size]:
        nodes |= {(level, idx): value for level, idx, value in frontier.append(entry.entry_hash)}
    return nodes


def test_the_command_exits_0_when_it_holds_and_1_when_not(tmp_path: Path) -> None:
    built = journal()
    (tmp_path / "policy.txt").write_text(policy_text(built))
    (tmp_path / "good.tlog-proof").write_text(receipt_text(built, 5, W1, W2))
    (tmp_path / "weak.tlog-proof").write_text(receipt_text(built, 5, W2))
    (tmp_path / "v5.json").write_bytes(DOCUMENTS[4])
    args = ["--document", str(tmp_path / "v5.json"), "--policy", str(tmp_path / "policy.txt")]
    assert ksp_main(["journal", "verify-receipt", str(tmp_path / "good.tlog-proof"), *args]) == 0
    assert ksp_main(["journal", "verify-receipt", str(tmp_path / "weak.tlog-proof"), *args]) == 1
    neither = ["journal", "verify-receipt", str(tmp_path / "good.tlog-proof")]
    assert ksp_main([*neither, "--document", str(tmp_path / "v5.json")]) == 2
