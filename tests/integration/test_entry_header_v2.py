"""The version-2 entry header (issue 13): it commits to the plaintext with an HMAC under a
key derived from the entry's data key, so after erasure nothing in it confirms a guessed
copy; a receipt hands that key to the version's holder, whose copy still checks. Old
(version-1) entries keep their format and verify."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from conftest import migrated_database
from ksp.bootstrap import journal_signer, unit_of_work
from ksp.domain.errors import Erased
from ksp.journal.bundle import verify_bundle, write_bundle
from ksp.journal.cli import verify_receipt_command
from ksp.journal.entry import parse_header
from ksp.journal.receipt import InvalidReceipt, encode_receipt, parse_receipt, verify_receipt
from ksp.journal.verify import verify_journal
from ksp.services.proofs import ProofService
from ksp.settings import Settings
from support.data import Units
from support.entries import append_entry, write_legacy_entries
from support.flows import Auth, case_for_meeting, change_list, new_meeting

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


async def test_a_new_entry_header_is_version_2_and_holds_no_plaintext_sha256(
    app: Litestar, settings: Settings
) -> None:
    plaintext = b'{"guess": "me"}'
    seq = await append_entry(settings, app.state.engine, plaintext)
    async with app.state.uow() as uow:
        entry = (await uow.journal.stored(seq - 1, 1))[0]
    header = parse_header(entry.header)
    assert header.version == 2
    assert b'"plaintext_hmac":' in entry.header
    assert b"plaintext_sha256" not in entry.header
    assert hashlib.sha256(plaintext).hexdigest().encode() not in entry.header


async def test_a_journal_of_version_1_then_version_2_entries_verifies_online(
    backend: str, tmp_path_factory: pytest.TempPathFactory, settings: Settings
) -> None:
    """Entries written before issue 13 (v1, under KSP_DATA_KEYS) and after (v2, under data
    keys) in one journal: the online verifier checks each by its own format."""
    signer = journal_signer(settings)
    async with migrated_database(backend, tmp_path_factory, "ksp_v1") as (engine, _):
        await write_legacy_entries(settings, engine, [b"old 1", b"old 2"])  # as before
        third = await append_entry(settings, engine, b"new 3")
        assert third == 3
        async with unit_of_work(settings, engine)() as uow:
            entries = await uow.journal.stored(0, 10)
            tip = await uow.journal.latest_checkpoint()
            assert tip is not None
            versions = [parse_header(e.header).version for e in entries]
            result = verify_journal(
                entries,
                [tip[1]],
                public_key=signer.public_key_bytes,
                origin=signer.origin,
                open_content=uow.journal.open_content,
            )
            assert await uow.journal.plaintext(1) == b"old 1"
            checkpoints = [note for _, note in await uow.journal.checkpoints(up_to=3)]
    assert versions == [1, 1, 2]
    assert result.ok, result
    bundle = io.StringIO()  # and offline, as `ksp journal verify` reads an export
    write_bundle(
        bundle,
        origin=signer.origin,
        public_key=signer.public_key_bytes,
        vkey=signer.vkey,
        entries=entries,
        entry_count=len(entries),
        checkpoints=checkpoints,
        include_content=True,
        exported_at=NOW.isoformat(),
    )
    offline = verify_bundle(bundle.getvalue().splitlines(), expected_vkey=signer.vkey)
    assert offline.ok, offline


async def test_a_receipt_hands_the_commitment_key_and_still_holds_after_erasure(
    app: Litestar,
    client: httpx.AsyncClient,
    auth: Auth,
    units: Units,
    settings: Settings,
    tmp_path: Path,
) -> None:
    meeting = await new_meeting(client, auth, units)
    made = await change_list(
        client, auth, units, meeting, add=[await case_for_meeting(client, auth, units)]
    )
    created = made.json()
    service = ProofService(app.state.uow, journal_signer(settings))
    text = await service.receipt(created["document_id"], created["version"])
    receipt = parse_receipt(text)
    assert receipt.commitment_key is not None
    assert "\ncommitment-key " in text
    seq = receipt.index + 1
    async with app.state.uow() as uow:
        document = await uow.journal.plaintext(seq)
        assert await uow.data_keys.destroy_owner(f"journal:{seq}", at=NOW)
        await uow.commit()
    async with app.state.uow() as uow:
        with pytest.raises(Erased):  # the domain's error: the API answers 410 …/erased
            await uow.journal.plaintext(seq)
    signer = journal_signer(settings)
    verify_receipt(receipt, document, public_key=signer.public_key_bytes, origin=signer.origin)
    (tmp_path / "r.tlog-proof").write_text(text, encoding="utf-8")
    (tmp_path / "doc.json").write_bytes(document)
    out = io.StringIO()
    code = verify_receipt_command(
        tmp_path / "r.tlog-proof", tmp_path / "doc.json", signer.vkey, out
    )
    assert code == 0, out.getvalue()
    with pytest.raises(InvalidReceipt, match="not the one"):
        verify_receipt(
            receipt, document + b" ", public_key=signer.public_key_bytes, origin=signer.origin
        )
    keyless = encode_receipt(
        type(receipt)(receipt.header, receipt.index, receipt.proof, receipt.checkpoint)
    )
    with pytest.raises(InvalidReceipt, match="commitment key"):
        verify_receipt(
            parse_receipt(keyless),
            document,
            public_key=signer.public_key_bytes,
            origin=signer.origin,
        )
