"""Receipts (C2SP tlog-proof@v1) and ``ksp journal verify-receipt``, on journals built in
memory: a receipt holds for its own document only, against the journal key only."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from ksp.cli import main as ksp_main
from ksp.journal.cli import verify_receipt_command
from ksp.journal.merkle import Frontier
from ksp.journal.proofs import NodeId, inclusion_plan
from ksp.journal.receipt import (
    InvalidReceipt,
    Receipt,
    encode_receipt,
    parse_receipt,
    verify_receipt,
)
from unit.journal.journal_builder import Journal, signer

Tamper = Callable[[Receipt, bytes], tuple[Receipt, bytes]]
DOCUMENTS = [f'{{"version":{n}}}'.encode() for n in range(1, 8)]


def journal() -> Journal:
    built = Journal()
    for document in DOCUMENTS:
        built.append(document)
    return built


def receipt_for(built: Journal, seq: int) -> Receipt:
    """What the service hands out: header, index, proof into the latest checkpoint."""
    frontier, nodes = Frontier(), dict[NodeId, bytes]()
    for entry in built.entries:
        nodes |= {(level, idx): value for level, idx, value in frontier.append(entry.entry_hash)}
    proof = inclusion_plan(seq - 1, len(built.entries)).hashes(nodes)
    return Receipt(built.entries[seq - 1].header, seq - 1, proof, built.latest())


def check(receipt: Receipt, document: bytes, built: Journal) -> None:
    verify_receipt(receipt, document, public_key=built.public_key, origin=built.signer.origin)


def test_a_receipt_round_trips_through_its_text_and_holds() -> None:
    """Every version's receipt, written and read back, proves its document in the journal."""
    built = journal()
    for seq, document in enumerate(DOCUMENTS, start=1):
        text = encode_receipt(receipt_for(built, seq))
        assert text.startswith("c2sp.org/tlog-proof@v1\nextra ")
        assert f"\nindex {seq - 1}\n" in text
        assert text.endswith(built.latest())
        check(parse_receipt(text), document, built)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda r, _: (r, b"other"), "not the one in the entry header"),
        (lambda r, b: (Receipt(r.header, r.index + 1, r.proof, r.checkpoint), b), "not the entry"),
        (lambda r, b: (Receipt(r.header, r.index, r.proof[1:], r.checkpoint), b), "not included"),
        (lambda r, b: (Receipt(b"{}", r.index, r.proof, r.checkpoint), b), "malformed"),
        (
            lambda r, b: (Receipt(r.header, r.index, r.proof, signer(9).sign(7, bytes(32))), b),
            "not signed by the journal key",
        ),
    ],
)
def test_a_receipt_does_not_hold_for_anything_else(tamper: Tamper, reason: str) -> None:
    """Another document, index, proof, header or signer: each refused with its reason."""
    built = journal()
    receipt, document = tamper(receipt_for(built, 3), DOCUMENTS[2])
    with pytest.raises(InvalidReceipt, match=reason):
        check(receipt, document, built)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "c2sp.org/tlog-proof@v2\nextra AA==\nindex 0\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nindex 0\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nextra AA==\nindex 01\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nextra AA==\nindex 0\nnot base64!\n\nnote\n",
        "c2sp.org/tlog-proof@v1\nextra AA==\nindex 0\n",
    ],
)
def test_a_malformed_receipt_is_refused(text: str) -> None:
    """Only the tlog-proof@v1 shape with an entry header in ``extra`` is read."""
    with pytest.raises(InvalidReceipt):
        parse_receipt(text)


def test_verify_receipt_exits_0_when_it_holds_and_1_when_not(tmp_path: Path) -> None:
    """CONTRACT.md: `ksp journal verify-receipt` exits 0 when it holds and 1 when it does not."""
    built = journal()
    receipt, document, other = tmp_path / "r.tlog-proof", tmp_path / "v.json", tmp_path / "o"
    receipt.write_text(encode_receipt(receipt_for(built, 4)), encoding="utf-8")
    document.write_bytes(DOCUMENTS[3])
    other.write_bytes(DOCUMENTS[4])
    out = io.StringIO()
    assert verify_receipt_command(receipt, document, built.signer.vkey, out) == 0
    assert out.getvalue() == "receipt holds: entry 4 in the checkpoint at 7\n"
    out = io.StringIO()
    assert verify_receipt_command(receipt, other, built.signer.vkey, out) == 1
    assert out.getvalue().startswith("RECEIPT DOES NOT HOLD: the document is not")
    out = io.StringIO()
    assert verify_receipt_command(receipt, document, signer(5).vkey, out) == 1
    assert "not signed by the journal key" in out.getvalue()
    forged_key = built.signer.vkey.rsplit("+", 1)[0] + "+" + base64.b64encode(b"x").decode()
    out = io.StringIO()
    assert verify_receipt_command(receipt, document, forged_key, out) == 1
    assert out.getvalue() == "RECEIPT DOES NOT HOLD: unexpected public key\n"


def test_the_ksp_command_runs_verify_receipt_without_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`ksp journal verify-receipt RECEIPT --document FILE --journal-key VKEY` is offline."""
    built = journal()
    receipt, document = tmp_path / "r.tlog-proof", tmp_path / "v.json"
    receipt.write_text(encode_receipt(receipt_for(built, 7)), encoding="utf-8")
    document.write_bytes(DOCUMENTS[6])
    args = ["journal", "verify-receipt", str(receipt), "--document", str(document)]
    assert ksp_main([*args, "--journal-key", built.signer.vkey]) == 0
    assert capsys.readouterr().out == "receipt holds: entry 7 in the checkpoint at 7\n"
