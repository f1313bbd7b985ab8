"""Attacks on the stored journal, made directly in SQL with the guards switched off, each
detected by both GET /audit/verify and the offline `ksp journal verify` (issue 3); and, with
the guards on, the database refusing UPDATE, DELETE, REPLACE (SQLite) and TRUNCATE
(PostgreSQL). Every test gets a database of its own, since it breaks it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings, token_headers
from ksp.api.app import create_app
from ksp.bootstrap import journal_signer
from ksp.cli import main as ksp_main
from ksp.db.migrate import upgrade
from ksp.journal.checkpoint import CheckpointSigner
from ksp.journal.entry import EntryHeader, encode_header, entry_hash, parse_header
from ksp.journal.merkle import Frontier
from support.clock import FixedClock
from support.data import fresh_units, random_cpr
from support.flows import case_for_meeting, change_list, new_meeting
from support.intruder import intruder_sql
from support.own_database import own_database

VERSIONS = 5
TABLES = (
    "journal_entries",
    "journal_checkpoints",
    "journal_tree_nodes",
    "document_versions",
    "documents",
)


@dataclass
class Fresh:
    """A journal of VERSIONS entries in a database of its own, and a way to attack it."""

    client: httpx.AsyncClient
    engine: AsyncEngine
    backend: str
    sqlite_path: Path | None
    auditor: dict[str, str]
    tmp: Path
    next_change: Callable[..., Awaitable[httpx.Response]]
    vkey: str  # the journal's verifier key, as `ksp journal key` prints it
    kif: dict[str, str] = dataclasses.field(default_factory=dict)  # the meeting's KiF
    meeting_id: str = ""

    async def sql(self, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Run SQL as an attacker with direct database access, the guards switched off."""
        return await intruder_sql(self.engine, self.sqlite_path, TABLES, statement, params)

    async def rows(self) -> list[tuple[int, bytes, bytes, bytes]]:
        found = await self.sql(
            "SELECT seq, header, entry_hash, content FROM journal_entries ORDER BY seq"
        )
        return [(r[0], bytes(r[1]), bytes(r[2]), bytes(r[3])) for r in found]

    async def put(self, seq: int, header: bytes, link: bytes, content: bytes) -> None:
        await self.sql(
            "UPDATE journal_entries SET header = :h, entry_hash = :e, content = :c WHERE seq = :s",
            {"h": header, "e": link, "c": content, "s": seq},
        )

    async def verify(self, **params: str) -> dict[str, Any]:
        response = await self.client.get(
            "/api/v1/audit/verify", params=params, headers=self.auditor
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def export(self, name: str = "bundle.jsonl") -> Path:
        response = await self.client.get("/api/v1/audit/export", headers=self.auditor)
        assert response.status_code == 200
        path = self.tmp / name
        path.write_text(response.text)
        return path


def offline(bundle: Path, trusted: Path | None = None, *, vkey: str) -> tuple[int, str]:
    """`ksp journal verify BUNDLE --journal-key VKEY [--trusted-checkpoint FILE]`, run
    in-process."""
    args = ["journal", "verify", str(bundle), "--journal-key", vkey]
    if trusted is not None:
        args += ["--trusted-checkpoint", str(trusted)]
    out = io.StringIO()
    with redirect_stdout(out):
        code = ksp_main(args)
    return code, out.getvalue()


@pytest.fixture
async def fresh(backend: str, tmp_path: Path) -> AsyncIterator[Fresh]:
    path = tmp_path / "attacked.sqlite3"
    async with own_database(backend, path, "ksp_attack_") as engine:
        await upgrade(engine)
        sqlite_path = path if backend == "sqlite" else None
        async for attacked in _journal_of_versions(engine, backend, sqlite_path, tmp_path):
            yield attacked


async def _journal_of_versions(
    engine: AsyncEngine, backend: str, sqlite_path: Path | None, tmp_path: Path
) -> AsyncIterator[Fresh]:
    settings = make_settings(tmp_path)
    app = create_app(settings, engine=engine, clock=FixedClock())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client:
        units = fresh_units()
        auth = token_headers(settings)
        meeting = await new_meeting(client, auth, units)
        for version in range(1, VERSIONS + 1):
            case_id = await case_for_meeting(client, auth, units)
            made = await change_list(
                client,
                auth,
                units,
                meeting,
                add=[case_id],
                **({"base_version": version - 1} if version > 1 else {}),
            )
            assert made.status_code == 201, made.text

        async def next_change(base_version: int = VERSIONS) -> httpx.Response:
            case_id = await case_for_meeting(client, auth, units)
            return await change_list(
                client, auth, units, meeting, add=[case_id], base_version=base_version
            )

        yield Fresh(
            client,
            engine,
            backend,
            sqlite_path,
            auth("auditor", units.auditor),
            tmp_path,
            next_change,
            journal_signer(settings).vkey,
            auth("kif", units.kif),
            meeting,
        )


def other_signer() -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.generate(), "ksp.kriminalforsorgen.dk/journal")


async def assert_detected(fresh: Fresh, first_bad_seq: int | None, **params: str) -> None:
    """Both the service and the offline command find the same first bad entry."""
    result = await fresh.verify(**params)
    assert result["ok"] is False
    assert result["first_bad_seq"] == first_bad_seq, result
    code, printed = offline(await fresh.export(), vkey=fresh.vkey)
    assert code == 1
    assert printed.startswith("NOT INTACT")


async def test_an_intact_journal_verifies_online_and_offline(fresh: Fresh) -> None:
    """Guide 3.3.7: journalised versions; an auditor can prove none was altered."""
    result = await fresh.verify()
    assert (result["ok"], result["entries"], result["first_bad_seq"]) == (True, VERSIONS, None)
    assert result["checkpoint"]["tree_size"] == VERSIONS
    assert offline(await fresh.export(), vkey=fresh.vkey) == (
        0,
        f"intact: {VERSIONS} entries, checkpoint at {VERSIONS}\n",
    )


async def test_an_edited_content_byte_is_detected(fresh: Fresh) -> None:
    """Hash the stored bytes: one flipped bit of ciphertext breaks its hash."""
    seq, header, link, content = (await fresh.rows())[1]
    await fresh.put(seq, header, link, content[:-1] + bytes([content[-1] ^ 1]))
    await assert_detected(fresh, 2)


async def test_an_edited_minutes_version_is_detected(fresh: Fresh) -> None:
    """Guide 3.3.7: the minutes are journalised like the list ("et journaliseret dokument
    ... ikke kan opdateres"); a flipped bit in a minutes version's entry is found."""
    base = f"/api/v1/meetings/{fresh.meeting_id}"
    attendee = {
        "name": "Mette Sekretær",
        "agency": "kf",
        "unit": "kif-hovedstaden",
        "role": "secretary",
        "present": True,
        "confidentiality_acknowledged": True,
    }
    held = await fresh.client.put(
        f"{base}/attendance", json={"attendees": [attendee]}, headers=fresh.kif
    )
    assert held.status_code == 200, held.text
    made = await fresh.client.post(f"{base}/minutes", json={"reason": "Referat"}, headers=fresh.kif)
    assert made.status_code == 201, made.text
    assert (await fresh.verify())["ok"] is True
    ((seq,),) = await fresh.sql(
        "SELECT journal_seq FROM document_versions WHERE document_id = :d",
        {"d": made.json()["document_id"]},
    )
    _, header, link, content = next(r for r in await fresh.rows() if r[0] == seq)
    await fresh.put(seq, header, link, content[:-1] + bytes([content[-1] ^ 1]))
    await assert_detected(fresh, seq)


async def test_edited_content_and_its_hash_are_detected(fresh: Fresh) -> None:
    """Changing the content and the hash in the header breaks the entry hash."""
    seq, header, link, content = (await fresh.rows())[1]
    forged = content[:-1] + bytes([content[-1] ^ 1])
    fields = json.loads(header)
    fields["ciphertext_sha256"] = hashlib.sha256(forged).hexdigest()
    await fresh.put(seq, json.dumps(fields).encode(), link, forged)
    await assert_detected(fresh, 2)


async def test_an_edited_author_is_detected(fresh: Fresh) -> None:
    """The header commits to the author."""
    seq, header, link, content = (await fresh.rows())[2]
    await fresh.put(seq, header.replace(b"user-", b"usur-"), link, content)
    await assert_detected(fresh, 3)


async def test_a_rewritten_entry_with_every_later_hash_recomputed_fails_the_checkpoint(
    fresh: Fresh,
) -> None:
    """A consistent rewritten chain no longer matches the signed checkpoint's root."""
    rows = await fresh.rows()
    prev = rows[0][2]
    for seq, header, _, content in rows[1:]:
        fields = parse_header(header)
        author = "mallory" if seq == 2 else fields.author
        rewritten = encode_header(dataclasses.replace(fields, author=author, prev=prev.hex()))
        prev = entry_hash(rewritten)
        await fresh.put(seq, rewritten, prev, content)
    result = await fresh.verify()
    assert result["ok"] is False
    assert result["reason"] == "checkpoint root mismatch"
    code, _ = offline(await fresh.export(), vkey=fresh.vkey)
    assert code == 1


async def test_a_deleted_middle_entry_is_detected(fresh: Fresh) -> None:
    """Sequence numbers are gapless."""
    await fresh.sql("DELETE FROM journal_entries WHERE seq = 3")
    await assert_detected(fresh, 3)


async def test_two_swapped_entries_are_detected(fresh: Fresh) -> None:
    """Each header names its own sequence number and the previous entry's hash."""
    rows = {row[0]: row for row in await fresh.rows()}
    await fresh.put(2, *rows[3][1:])
    await fresh.put(3, *rows[2][1:])
    await assert_detected(fresh, 2)


async def test_a_truncated_tail_is_detected_against_a_kept_checkpoint(fresh: Fresh) -> None:
    """Removing the last entries and their checkpoints leaves a consistent shorter journal;
    the checkpoint an auditor kept shows what is missing."""
    kept = (await fresh.verify())["checkpoint"]["note"]
    await fresh.sql("DELETE FROM document_versions WHERE version > 3")
    await fresh.sql("DELETE FROM journal_entries WHERE seq > 3")
    await fresh.sql("DELETE FROM journal_checkpoints WHERE tree_size > 3")
    assert (await fresh.verify())["ok"] is True  # without the kept checkpoint
    trusted = base64.urlsafe_b64encode(kept.encode()).decode()
    result = await fresh.verify(trusted=trusted)
    assert (result["ok"], result["first_bad_seq"]) == (False, 4)
    kept_file = fresh.tmp / "kept.checkpoint"
    kept_file.write_text(kept)
    code, printed = offline(await fresh.export(), kept_file, vkey=fresh.vkey)
    assert code == 1
    assert "first bad entry 4" in printed


async def test_a_forged_checkpoint_is_detected(fresh: Fresh) -> None:
    """A checkpoint signed by any other key is refused."""
    forged = other_signer().sign(VERSIONS, Frontier().root())
    await fresh.sql(
        "UPDATE journal_checkpoints SET note = :n WHERE tree_size = :s",
        {"n": forged, "s": VERSIONS},
    )
    result = await fresh.verify()
    assert (result["ok"], result["reason"]) == (False, "checkpoint signature")
    code, _ = offline(await fresh.export(), vkey=fresh.vkey)
    assert code == 1


async def test_a_line_dropped_from_a_bundle_is_detected(fresh: Fresh) -> None:
    """The manifest counts the lines; a dropped entry line is the first bad entry."""
    bundle = await fresh.export()
    lines = bundle.read_text().splitlines(keepends=True)
    del lines[3]  # manifest, entry 1, entry 2, entry 3 ...
    bundle.write_text("".join(lines))
    code, printed = offline(bundle, vkey=fresh.vkey)
    assert code == 1
    assert "first bad entry 3" in printed


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE journal_entries SET seq = seq WHERE seq = 1",
        "UPDATE journal_entries SET content = header",
        "DELETE FROM journal_entries WHERE seq = 1",
        "UPDATE journal_checkpoints SET note = 'x'",
        "DELETE FROM document_versions",
        "UPDATE documents SET meeting_id = id",
        "UPDATE documents SET kind = 'minutes'",
        "DELETE FROM documents",
    ],
)
async def test_the_database_refuses_to_change_or_remove_a_written_version(
    fresh: Fresh, statement: str
) -> None:
    """Guide 3.3.7: "et journaliseret dokument i Workzone ikke kan opdateres"."""
    with pytest.raises(Exception) as refused:  # noqa: PT011 - the driver's own error types
        async with fresh.engine.begin() as connection:
            await connection.execute(text(statement))
    assert "immutable" in str(refused.value)
    assert (await fresh.verify())["ok"] is True


async def test_sqlite_refuses_a_replace_over_a_written_entry(fresh: Fresh) -> None:
    """INSERT OR REPLACE deletes without delete triggers; a guard on INSERT catches it."""
    if fresh.backend != "sqlite":
        pytest.skip("REPLACE is SQLite's")
    with pytest.raises(Exception, match="immutable"):
        async with fresh.engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT OR REPLACE INTO journal_entries (seq, header, entry_hash, content) "
                    "SELECT seq, header, entry_hash, content FROM journal_entries WHERE seq = 1"
                )
            )


async def test_postgresql_refuses_truncate(fresh: Fresh) -> None:
    """TRUNCATE bypasses row triggers; a statement trigger enabled ALWAYS refuses it."""
    if fresh.backend != "postgres":
        pytest.skip("TRUNCATE guard is PostgreSQL's")
    for table in (
        "journal_entries",
        "journal_checkpoints",
        "journal_tree_nodes",
        "document_versions",
        "inquiry_decisions",
        "exchanges",
        "exchange_records",
    ):
        with pytest.raises(Exception, match="immutable"):
            async with fresh.engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {table} CASCADE"))
    assert (await fresh.verify())["ok"] is True


async def logged_reads(fresh: Fresh) -> None:
    """Access-log rows with and without subjects: an export and a search by CPR."""
    await fresh.export()
    searched = await fresh.client.post(
        "/api/v1/audit/access-log/search", json={"cpr": random_cpr()}, headers=fresh.auditor
    )
    assert searched.status_code == 200, searched.text


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET sub = 'someone-else'",
        "UPDATE access_log SET purpose = 'audit'",
        "DELETE FROM access_log WHERE id = (SELECT max(id) FROM access_log)",
        "DELETE FROM access_log_subjects",
        "UPDATE access_log_subjects SET cpr_hash = cpr_hash",
    ],
)
async def test_the_database_refuses_to_change_or_remove_an_access_log_row(
    fresh: Fresh, statement: str
) -> None:
    """Finding 7: a plain DELETE removed access-log rows on both databases; the access log
    is as immutable as the journal (Directive 2016/680 art. 25: the logs are used to verify
    the lawfulness of processing, so no one may edit them)."""
    await logged_reads(fresh)
    before = await fresh.sql("SELECT count(*) FROM access_log")
    with pytest.raises(Exception) as refused:  # noqa: PT011 - the driver's own error types
        async with fresh.engine.begin() as connection:
            await connection.execute(text(statement))
    assert "immutable" in str(refused.value)
    async with fresh.engine.connect() as connection:
        after = (await connection.execute(text("SELECT count(*) FROM access_log"))).scalar()
    assert after == before[0][0]


async def test_the_database_refuses_to_truncate_or_replace_the_access_log(fresh: Fresh) -> None:
    """Finding 7: TRUNCATE (PostgreSQL) and INSERT OR REPLACE (SQLite) bypass row triggers;
    both are refused on the access log too."""
    await logged_reads(fresh)
    if fresh.backend == "postgres":
        attacks = ["TRUNCATE access_log CASCADE", "TRUNCATE access_log_subjects"]
    else:
        attacks = [
            (
                "INSERT OR REPLACE INTO access_log SELECT * FROM access_log "
                "WHERE id = (SELECT min(id) FROM access_log)"
            )
        ]
    for attack in attacks:
        with pytest.raises(Exception, match="immutable"):
            async with fresh.engine.begin() as connection:
                await connection.execute(text(attack))


async def test_the_offline_command_pins_the_journal_key(fresh: Fresh) -> None:
    """With --journal-key, a bundle signed by any other key is refused, however intact."""
    bundle = await fresh.export()
    manifest = json.loads(bundle.read_text().splitlines()[0])
    code, _ = offline_with_key(bundle, manifest["vkey"])
    assert code == 0
    code, printed = offline_with_key(bundle, other_signer().vkey)
    assert code == 1
    assert "unexpected public key" in printed


def offline_with_key(bundle: Path, vkey: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = ksp_main(["journal", "verify", str(bundle), "--journal-key", vkey])
    return code, out.getvalue()


async def test_the_service_refuses_to_sign_a_tip_it_did_not_write(fresh: Fresh) -> None:
    """Rows inserted with INSERT rights alone (an entry and an unsigned checkpoint over it)
    do not make the service extend and sign the forged tree: the change is refused."""
    rows = await fresh.rows()
    header = encode_header(
        EntryHeader(
            seq=VERSIONS + 1,
            kind="document-version",
            ref="forged/1",
            author="mallory",
            created_at="2026-11-27T10:00:00+00:00",
            ciphertext_sha256=hashlib.sha256(b"x").hexdigest(),
            plaintext_sha256=hashlib.sha256(b"x").hexdigest(),
            prev=rows[-1][2].hex(),
        )
    )
    frontier = Frontier()
    for row in rows:
        frontier.append(row[2])
    frontier.append(entry_hash(header))
    await fresh.sql(
        "INSERT INTO journal_entries (seq, header, entry_hash, content) VALUES (:s, :h, :e, :c)",
        {"s": VERSIONS + 1, "h": header, "e": entry_hash(header), "c": b"x"},
    )
    await fresh.sql(
        "INSERT INTO journal_checkpoints (tree_size, root, note, frontier) VALUES (:s, :r, :n, :f)",
        {
            "s": VERSIONS + 1,
            "r": frontier.root(),
            "f": frontier.to_bytes(),
            "n": other_signer().sign(VERSIONS + 1, frontier.root()),
        },
    )
    refused = await fresh.next_change()
    assert refused.status_code == 503
    assert refused.json()["type"].endswith("/journal-integrity")
    assert (await fresh.verify())["ok"] is False


async def test_an_entry_beyond_the_latest_checkpoint_is_not_covered(fresh: Fresh) -> None:
    """Removing the latest checkpoint leaves its entry unsigned: both checks name it."""
    await fresh.sql("DELETE FROM journal_checkpoints WHERE tree_size = :s", {"s": VERSIONS})
    result = await fresh.verify()
    assert (result["ok"], result["first_bad_seq"], result["reason"]) == (
        False,
        VERSIONS,
        "entries not covered by a checkpoint",
    )
    code, printed = offline(await fresh.export(), vkey=fresh.vkey)
    assert code == 1
    assert f"first bad entry {VERSIONS}" in printed
