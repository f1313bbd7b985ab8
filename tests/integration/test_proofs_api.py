"""``/api/v1/audit/proofs``: proofs fetched from the real API and checked as an auditor would,
with the pure verifier against the root of a checkpoint whose signature the journal key
checks (CONTRACT.md, "Proofs, receipts and witnesses")."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from ksp.bootstrap import journal_signer
from ksp.domain.errors import NotFound
from ksp.journal.checkpoint import Checkpoint, verify_checkpoint
from ksp.journal.cli import verify_receipt_command
from ksp.journal.proofs import verify_consistency, verify_inclusion
from ksp.journal.receipt import parse_receipt
from ksp.services.proofs import ProofService
from ksp.settings import Settings
from support.data import Units
from support.flows import case_for_meeting, change_list, new_meeting

Auth = Callable[..., dict[str, str]]
PROOFS = "/api/v1/audit/proofs"


def signed(note: str, settings: Settings) -> Checkpoint:
    """The checkpoint in ``note``, its signature checked with the journal key."""
    signer = journal_signer(settings)
    return verify_checkpoint(note, public_key=signer.public_key_bytes, origin=signer.origin)


def hashes(values: list[str]) -> list[bytes]:
    return [base64.b64decode(value, validate=True) for value in values]


async def journalise(client: httpx.AsyncClient, auth: Auth, units: Units, versions: int) -> None:
    """``versions`` versions of one meeting's list, each a journal entry."""
    meeting = await new_meeting(client, auth, units)
    for version in range(1, versions + 1):
        case_id = await case_for_meeting(client, auth, units)
        base = {"base_version": version - 1} if version > 1 else {}
        made = await change_list(client, auth, units, meeting, add=[case_id], **base)
        assert made.status_code == 201, made.text


async def latest(client: httpx.AsyncClient, auditor: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/v1/audit/verify", headers=auditor)
    assert response.status_code == 200
    checkpoint: dict[str, Any] = response.json()["checkpoint"]
    return checkpoint


async def kept_then_more(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings, *, more: int
) -> Checkpoint:
    """The checkpoint an auditor keeps after one version, then ``more`` versions on."""
    await journalise(client, auth, units, 1)
    kept = signed((await latest(client, auth("auditor", units.auditor)))["note"], settings)
    await journalise(client, auth, units, more)
    return kept


async def leaf_hashes(client: httpx.AsyncClient, auditor: dict[str, str]) -> list[bytes]:
    """Every entry hash, from the journal listing (the auditor's own copy of the leaves)."""
    leaves: list[bytes] = []
    after: int | None = 0
    while after is not None:
        page = await client.get(
            "/api/v1/audit/journal", params={"after_seq": after, "limit": 1000}, headers=auditor
        )
        leaves += [bytes.fromhex(item["entry_hash"]) for item in page.json()["items"]]
        after = page.json()["next_after_seq"]
    return leaves


async def test_inclusion_proofs_verify_against_the_signed_checkpoint(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """Every entry's proof leads from its own entry hash to the root the checkpoint signs."""
    auditor = auth("auditor", units.auditor)
    await journalise(client, auth, units, 3)
    size = (await latest(client, auditor))["tree_size"]
    leaves = await leaf_hashes(client, auditor)
    assert len(leaves) == size
    for index in sorted({0, 1, size // 2, size - 2, size - 1}):
        response = await client.get(
            f"{PROOFS}/inclusion", params={"index": index, "size": size}, headers=auditor
        )
        assert response.status_code == 200, response.text
        body = response.json()
        checkpoint = signed(body["checkpoint"], settings)
        assert (body["index"], body["size"], checkpoint.tree_size) == (index, size, size)
        assert base64.b64decode(body["leaf_hash"]) == leaves[index]
        verify_inclusion(
            index=index,
            size=checkpoint.tree_size,
            leaf=leaves[index],
            proof=hashes(body["proof"]),
            root=checkpoint.root,
        )


async def test_an_inclusion_proof_into_an_older_checkpoint_verifies_too(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """A proof at a kept checkpoint's size proves against that checkpoint, not the latest."""
    auditor = auth("auditor", units.auditor)
    kept = await kept_then_more(client, auth, units, settings, more=2)
    index = kept.tree_size - 1
    response = await client.get(
        f"{PROOFS}/inclusion", params={"index": index, "size": kept.tree_size}, headers=auditor
    )
    assert response.status_code == 200
    assert response.json()["checkpoint"] == kept.note
    leaf = (await leaf_hashes(client, auditor))[index]
    proof = hashes(response.json()["proof"])
    verify_inclusion(index=index, size=kept.tree_size, leaf=leaf, proof=proof, root=kept.root)


async def test_a_consistency_proof_shows_the_journal_extends_a_kept_checkpoint(
    client: httpx.AsyncClient, auth: Auth, units: Units, settings: Settings
) -> None:
    """From a checkpoint the auditor kept to the latest: the proof joins both signed roots."""
    auditor = auth("auditor", units.auditor)
    kept = await kept_then_more(client, auth, units, settings, more=3)
    newest = (await latest(client, auditor))["tree_size"]
    for first in sorted({1, kept.tree_size, newest}):
        response = await client.get(
            f"{PROOFS}/consistency", params={"from": first, "to": newest}, headers=auditor
        )
        assert response.status_code == 200, response.text
        body = response.json()
        later = signed(body["checkpoint"], settings)
        earlier = kept if first == kept.tree_size else signed(body["from_checkpoint"], settings)
        assert (body["from"], body["to"], later.tree_size) == (first, newest, newest)
        assert earlier.tree_size == first
        verify_consistency(
            size1=first,
            size2=newest,
            root1=earlier.root,
            root2=later.root,
            proof=hashes(body["proof"]),
        )


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [
        ("inclusion", {"index": 1, "size": 1}, "index"),
        ("inclusion", {"index": -1, "size": 1}, "index"),
        ("inclusion", {"index": 0, "size": 0}, "size"),
        ("inclusion", {"index": 0, "size": 2**31 - 1}, "size"),
        ("consistency", {"from": 2, "to": 1}, "from"),
        ("consistency", {"from": 0, "to": 1}, "from"),
        ("consistency", {"from": 1, "to": 2**31 - 1}, "to"),
    ],
)
async def test_a_proof_outside_the_journal_is_400_naming_the_parameter(
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    route: str,
    params: dict[str, int],
    field: str,
) -> None:
    """``index ≥ size``, ``from > to``, ``from < 1`` and sizes beyond the tree are 400."""
    await journalise(client, auth, units, 1)
    response = await client.get(
        f"{PROOFS}/{route}", params=params, headers=auth("auditor", units.auditor)
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["type"].endswith("/validation")
    assert [error["field"] for error in problem["errors"]] == [field]


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("inclusion", {"index": 0}),
        ("inclusion", {"index": "x", "size": 1}),
        ("consistency", {"from": 1, "to": 2**40}),
    ],
)
async def test_a_missing_or_malformed_proof_parameter_is_400(
    client: httpx.AsyncClient, auth: Auth, units: Units, route: str, params: dict[str, Any]
) -> None:
    """Parameters that are not 32-bit integers never reach the service."""
    response = await client.get(
        f"{PROOFS}/{route}", params=params, headers=auth("auditor", units.auditor)
    )
    assert response.status_code == 400
    assert response.json()["type"].endswith("/validation")


async def test_a_receipt_for_a_version_holds_for_its_document_offline(
    app: Litestar,
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    settings: Settings,
    tmp_path: Path,
) -> None:
    """The receipt of version 1 checks offline (`ksp journal verify-receipt`) against the
    version's canonical JSON, whose SHA-256 the API reports, and the journal key."""
    meeting = await new_meeting(client, auth, units)
    made = await change_list(
        client, auth, units, meeting, add=[await case_for_meeting(client, auth, units)]
    )
    created = made.json()
    await journalise(client, auth, units, 1)  # the receipt is into a later checkpoint
    service = ProofService(app.state.uow, journal_signer(settings))
    receipt = await service.receipt(created["document_id"], created["version"])
    index = parse_receipt(receipt).index
    async with app.state.uow() as uow:
        document = await uow.journal.plaintext(index + 1)
    assert hashlib.sha256(document).hexdigest() == created["sha256"]
    (tmp_path / "v1.tlog-proof").write_text(receipt, encoding="utf-8")
    (tmp_path / "v1.json").write_bytes(document)
    vkey = journal_signer(settings).vkey
    out = io.StringIO()
    code = verify_receipt_command(tmp_path / "v1.tlog-proof", tmp_path / "v1.json", vkey, out)
    assert (code, out.getvalue().startswith("receipt holds")) == (0, True)
    (tmp_path / "v1.json").write_bytes(document + b" ")
    assert verify_receipt_command(tmp_path / "v1.tlog-proof", tmp_path / "v1.json", vkey, out) == 1


async def test_a_receipt_for_a_version_that_does_not_exist_is_not_found(
    app: Litestar, settings: Settings
) -> None:
    """No version, no receipt: NotFound (404 when it is served)."""
    service = ProofService(app.state.uow, journal_signer(settings))
    with pytest.raises(NotFound):
        await service.receipt("00000000-0000-4000-8000-000000000000", 1)
