"""The proof verifier against transparency-dev/merkle's known-answer vectors (RFC 9162)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ksp.journal.proofs import InvalidProof, verify_consistency, verify_inclusion

VECTORS = Path(__file__).parents[2] / "vectors" / "rfc9162"
INCLUSION = sorted((VECTORS / "inclusion").rglob("*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").rglob("*.json"))


def _name(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _load(path: Path) -> dict[str, Any]:
    vector: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return vector


def _check(kind: str, vector: dict[str, Any]) -> None:
    """Run the verifier the vector is for; :class:`InvalidProof` if it refuses."""
    proof = [base64.b64decode(value) for value in vector["proof"] or []]
    if kind == "inclusion":
        verify_inclusion(
            index=vector["leafIdx"],
            size=vector["treeSize"],
            leaf=base64.b64decode(vector["leafHash"]),
            proof=proof,
            root=base64.b64decode(vector["root"]),
        )
        return
    verify_consistency(
        size1=vector["size1"],
        size2=vector["size2"],
        root1=base64.b64decode(vector["root1"]),
        root2=base64.b64decode(vector["root2"]),
        proof=proof,
    )


def test_the_vectors_are_all_there() -> None:
    """A clone carries all 196 vector files (so a missing folder cannot pass silently)."""
    assert (len(INCLUSION), len(CONSISTENCY)) == (98, 98)
    assert (VECTORS / "LICENSE").is_file()


@pytest.mark.parametrize("path", INCLUSION + CONSISTENCY, ids=_name)
def test_the_verifier_refuses_exactly_the_vectors_that_want_an_error(path: Path) -> None:
    """Each known-answer proof is accepted if ``wantErr`` is false and refused if true."""
    vector = _load(path)
    try:
        _check(path.relative_to(VECTORS).parts[0], vector)
    except InvalidProof:
        refused = True
    else:
        refused = False
    assert refused is vector["wantErr"], vector.get("desc")
