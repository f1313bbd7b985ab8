"""The attacks a journal key alone cannot catch, caught by two real `ksp witness serve`
processes on loopback (issue 12), on SQLite and PostgreSQL: an older copy of the database
restored, and a version rewritten with every checkpoint re-signed by the key from the data
directory. Also a witness that is down, a witness key not in the policy, and a forged
cosignature. Every test gets a database and witnesses of its own, since it breaks them."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import make_settings, token_headers
from ksp.api.app import create_app
from ksp.bootstrap import journal_signer
from ksp.cli import main as ksp_main
from ksp.crypto import FieldCipher
from ksp.db.migrate import upgrade
from ksp.db.tables import metadata
from ksp.journal.entry import GENESIS, encode_header, entry_hash, parse_header
from ksp.journal.merkle import Frontier
from ksp.services.proofs import ProofService
from ksp.settings import Settings
from ksp.witness.cosignature import Cosigner
from ksp.witness.policy import parse_policy
from support.clock import FixedClock
from support.data import Units, fresh_units
from support.flows import case_for_meeting, change_list, new_meeting
from support.intruder import intruder_sql
from support.own_database import own_database
from support.witnesses import WitnessProcess, policy_text, running_witnesses

PROBLEMS = "https://ksp.kriminalforsorgen.dk/problems/"
GUARDED = (
    "journal_entries",
    "journal_checkpoints",
    "journal_tree_nodes",
    "journal_cosignatures",
    "document_versions",
    "documents",
)


@dataclass
class Service:
    client: httpx.AsyncClient
    uow: Any  # the app's units of work, for what a recipient was handed
    settings: Settings
    units: Units
    meeting: str
    auditor: dict[str, str]

    async def change(self, base_version: int | None) -> httpx.Response:
        auth = token_headers(self.settings)
        case_id = await case_for_meeting(self.client, auth, self.units)
        extra = {} if base_version is None else {"base_version": base_version}
        return await change_list(
            self.client, auth, self.units, self.meeting, add=[case_id], **extra
        )

    async def witnessed(self) -> dict[str, Any]:
        response = await self.client.get("/api/v1/audit/verify", headers=self.auditor)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def until(self, predicate: Any, seconds: float = 15) -> dict[str, Any]:
        """Poll /audit/verify until ``predicate(result)`` (the witnesses answer after the
        commit, in the background)."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            result = await self.witnessed()
            if predicate(result):
                return result
            assert asyncio.get_running_loop().time() < deadline, result
            await asyncio.sleep(0.1)


@dataclass
class World:
    engine: AsyncEngine
    backend: str
    sqlite_path: Path
    settings: Settings
    tmp: Path
    witnesses: list[WitnessProcess]
    policy: Path
    units: Units
    meeting: str = ""

    @asynccontextmanager
    async def serving(self, settings: Settings | None = None) -> AsyncIterator[Service]:
        """The service, its lifespan run (so its witnesses are asked at start-up)."""
        settings = settings or self.settings
        app = create_app(settings, engine=self.engine, clock=FixedClock())
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=transport, base_url="http://ksp.test") as client,
        ):
            auth = token_headers(settings)
            if not self.meeting:
                self.meeting = await new_meeting(client, auth, self.units)
            yield Service(
                client,
                app.state.uow,
                settings,
                self.units,
                self.meeting,
                auth("auditor", self.units.auditor),
            )

    async def sql(self, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
        """SQL as an intruder with direct database access, the guards switched off."""
        sqlite_path = self.sqlite_path if self.backend == "sqlite" else None
        return await intruder_sql(self.engine, sqlite_path, GUARDED, statement, params)

    async def copy_database(self) -> None:
        """An intruder's (or a careless operator's) copy of the whole database."""
        if self.backend == "sqlite":
            with (
                sqlite3.connect(self.sqlite_path) as source,
                sqlite3.connect(self.tmp / "copy.sqlite3") as copy,
            ):
                source.backup(copy)
            return
        async with self.engine.begin() as connection:
            for table in metadata.sorted_tables:
                await connection.execute(
                    text(f"CREATE TABLE copy_{table.name} AS SELECT * FROM {table.name}")  # noqa: S608
                )

    async def restore_copy(self) -> None:
        """Put the copy back over the live database, every table of it."""
        await self.engine.dispose()
        if self.backend == "sqlite":
            with (
                sqlite3.connect(self.tmp / "copy.sqlite3") as copy,
                sqlite3.connect(self.sqlite_path) as live,
            ):
                copy.backup(live)
            return
        tables = [table.name for table in metadata.sorted_tables]
        async with self.engine.begin() as connection:
            for name in tables:
                await connection.execute(text(f"ALTER TABLE {name} DISABLE TRIGGER ALL"))
            await connection.execute(text(f"TRUNCATE {', '.join(tables)}"))
            for name in tables:
                restore = f"INSERT INTO {name} SELECT * FROM copy_{name}"  # noqa: S608 - our tables
                await connection.execute(text(restore))
            for name in tables:
                await connection.execute(text(f"ALTER TABLE {name} ENABLE TRIGGER ALL"))

    async def rewrite_and_resign(self, seq: int) -> None:
        """Rewrite entry ``seq``'s content (a different list), and everything after it so
        the chain, the tree and every checkpoint agree again, each re-signed with the
        journal key and sealed with the data key from the data directory."""
        cipher = FieldCipher(self.settings.data_keys, self.settings.data_key_id)
        signer = journal_signer(self.settings)
        rows = await self.sql("SELECT seq, header, content FROM journal_entries ORDER BY seq")
        frontier, prev, nodes = Frontier(), GENESIS, []
        for number, header, content in rows:
            fields = parse_header(bytes(header))
            stored = bytes(content)
            if number == seq:
                plaintext = json.loads(cipher.open(stored, context=f"journal:{number}"))
                plaintext["reason"] = "Omskrevet"
                raw = json.dumps(plaintext).encode()
                stored = cipher.seal(raw, context=f"journal:{number}")
                fields = dataclasses.replace(
                    fields,
                    plaintext_sha256=_sha256(raw),
                    ciphertext_sha256=_sha256(stored),
                )
            rewritten = encode_header(dataclasses.replace(fields, prev=prev.hex()))
            prev = entry_hash(rewritten)
            nodes += frontier.append(prev)
            await self.sql(
                "UPDATE journal_entries SET header = :h, entry_hash = :e, content = :c "
                "WHERE seq = :s",
                {"h": rewritten, "e": prev, "c": stored, "s": number},
            )
            await self.sql(
                "UPDATE journal_checkpoints SET root = :r, note = :n, frontier = :f "
                "WHERE tree_size = :s",
                {
                    "r": frontier.root(),
                    "n": signer.sign(number, frontier.root()),
                    "f": frontier.to_bytes(),
                    "s": number,
                },
            )
        await self.sql("DELETE FROM journal_tree_nodes")
        for level, idx, value in nodes:
            await self.sql(
                "INSERT INTO journal_tree_nodes (level, idx, hash) VALUES (:l, :i, :h)",
                {"l": level, "i": idx, "h": value},
            )


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
async def world(backend: str, tmp_path: Path) -> AsyncIterator[World]:
    path = tmp_path / "witnessed.sqlite3"
    async with own_database(backend, path, "ksp_witness_") as engine:
        await upgrade(engine)
        settings = make_settings(tmp_path)
        with running_witnesses(tmp_path / "witnesses", journal_signer(settings).vkey) as ws:
            policy = tmp_path / "policy.txt"
            policy.write_text(policy_text(journal_signer(settings).vkey, ws))
            settings = dataclasses.replace(
                settings,
                witness_policy=parse_policy(policy.read_text()),
                outbox_in_process=False,
            )
            yield World(engine, backend, path, settings, tmp_path, ws, policy, fresh_units())


def cosigned_at(size: int) -> Any:
    return lambda r: r["witnessed"]["quorum_tree_size"] == size


def offline(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        code = ksp_main(list(args))
    return code, out.getvalue()


async def export(service: Service, path: Path) -> Path:
    response = await service.client.get("/api/v1/audit/export", headers=service.auditor)
    assert response.status_code == 200
    await anyio.Path(path).write_text(response.text)
    return path


async def test_every_checkpoint_is_cosigned_by_both_witnesses_and_the_quorum_reported(
    world: World,
) -> None:
    async with world.serving() as service:
        for version in range(1, 4):
            made = await service.change(None if version == 1 else version - 1)
            assert made.status_code == 201, made.text
        latest = (await service.witnessed())["checkpoint"]["tree_size"]
        result = await service.until(cosigned_at(latest))
        names = ["audit.example-w1", "audit.example-w2"]
        assert result["witnessed"]["quorum_cosigners"] == names
        assert result["witnessed"]["latest_cosigners"] == names
        assert result["witnessed"]["rolled_back"] is False
        bundle = await export(service, world.tmp / "bundle.jsonl")
    vkey = journal_signer(world.settings).vkey
    code, printed = offline(
        "journal", "verify", str(bundle), "--journal-key", vkey, "--policy", str(world.policy)
    )
    assert code == 0, printed
    assert f"witnessed: checkpoint at {latest} cosigned by a quorum" in printed


async def test_a_restored_older_copy_of_the_database_is_refused_at_the_first_write(
    world: World,
) -> None:
    """After the restart the witnesses know a larger journal than the database holds: the
    first write is refused (503 journal-rolled-back), before any "version 3" is written
    twice."""
    async with world.serving() as service:
        assert (await service.change(None)).status_code == 201
        assert (await service.change(1)).status_code == 201
        size = (await service.witnessed())["checkpoint"]["tree_size"]
        await service.until(cosigned_at(size))
    await world.copy_database()
    async with world.serving() as service:
        for version in (2, 3):
            assert (await service.change(version)).status_code == 201
        newer = (await service.witnessed())["checkpoint"]["tree_size"]
        await service.until(cosigned_at(newer))
    await world.restore_copy()
    async with world.serving() as service:
        refused = await service.change(2)
        assert refused.status_code == 503
        assert refused.json()["type"] == PROBLEMS + "journal-rolled-back"
        assert "Omskrevet" not in refused.text
        result = await service.witnessed()
        assert result["checkpoint"]["tree_size"] == size  # the copy is intact in itself
        assert result["witnessed"]["rolled_back"] is True
        again = await service.change(2)
        assert again.status_code == 503  # until an operator acts


async def test_a_rewritten_version_re_signed_with_the_data_dir_key_is_detected(
    world: World,
) -> None:
    """By the witnesses at the next append, by `ksp journal verify --policy`, and by
    `verify-receipt` with a newer checkpoint and its consistency proof."""
    vkey = journal_signer(world.settings).vkey
    async with world.serving() as service:
        made = (await service.change(None)).json()
        for version in (1, 2):
            assert (await service.change(version)).status_code == 201
        size = (await service.witnessed())["checkpoint"]["tree_size"]
        await service.until(cosigned_at(size))
        proofs = ProofService(service.uow, journal_signer(world.settings))
        receipt = world.tmp / "v1.tlog-proof"
        receipt.write_text(await proofs.receipt(made["document_id"], 1))
        document = world.tmp / "v1.json"  # the attachment the recipient got
        async with service.uow() as unit:
            record = await unit.documents.version(made["document_id"], 1)
            document.write_bytes(await unit.journal.plaintext(record.journal_seq))
        journal_seq = record.journal_seq
    held = ["journal", "verify-receipt", str(receipt), "--document", str(document)]
    held += ["--policy", str(world.policy)]
    assert offline(*held)[0] == 0

    await world.rewrite_and_resign(journal_seq)
    async with world.serving() as service:
        result = await service.witnessed()
        assert result["ok"] is True  # the journal agrees with itself: the key alone is fooled
        assert result["witnessed"]["rolled_back"] is True  # asked at start-up: inconsistent
        refused = await service.change(3)
        assert refused.status_code == 503
        assert refused.json()["type"] == PROBLEMS + "journal-rolled-back"
        bundle = await export(service, world.tmp / "rewritten.jsonl")
        consistency = await service.client.get(
            "/api/v1/audit/proofs/consistency",
            params={"from": size, "to": size},
            headers=service.auditor,
        )
        assert consistency.status_code == 200, consistency.text
    code, printed = offline(
        "journal", "verify", str(bundle), "--journal-key", vkey, "--policy", str(world.policy)
    )
    assert code == 1
    assert "cosignature does not verify" in printed
    newer = world.tmp / "newer.json"
    newer.write_text(consistency.text)
    code, printed = offline(*held, "--newer", str(newer))
    assert code == 1, printed


async def test_the_rewrite_is_caught_at_the_next_append_without_a_restart(world: World) -> None:
    async with world.serving() as service:
        assert (await service.change(None)).status_code == 201
        assert (await service.change(1)).status_code == 201
        size = (await service.witnessed())["checkpoint"]["tree_size"]
        await service.until(cosigned_at(size))
        await world.rewrite_and_resign(1)
        assert (await service.change(2)).status_code == 201  # signed before any witness saw it
        await service.until(lambda r: r["witnessed"]["rolled_back"])
        refused = await service.change(3)
        assert (refused.status_code, refused.json()["type"]) == (
            503,
            PROBLEMS + "journal-rolled-back",
        )


async def test_a_witness_that_is_down_does_not_stop_changes_and_cosigns_later(
    world: World,
) -> None:
    down = world.witnesses[1]
    async with world.serving() as service:
        assert (await service.change(None)).status_code == 201
        first = (await service.witnessed())["checkpoint"]["tree_size"]
        await service.until(cosigned_at(first))
        down.stop()
        assert (await service.change(1)).status_code == 201
        latest = (await service.witnessed())["checkpoint"]["tree_size"]
        result = await service.until(
            lambda r: r["witnessed"]["latest_cosigners"] == ["audit.example-w1"]
        )
        assert result["witnessed"]["quorum_tree_size"] == first  # all of them: not yet
        down.start()
        result = await service.until(cosigned_at(latest), seconds=20)  # the loop retried
        assert result["witnessed"]["quorum_cosigners"] == ["audit.example-w1", "audit.example-w2"]


async def test_a_witness_key_not_in_the_policy_counts_for_nothing(world: World) -> None:
    """The policy names w2 with another key: w2's real cosignatures are not stored and do
    not make the quorum; a quorum of any one is met by w1 alone."""
    stranger = Cosigner(Ed25519PrivateKey.generate(), "audit.example/w2").vkey.encode()
    text = world.policy.read_text().replace(world.witnesses[1].vkey, stranger)
    settings = dataclasses.replace(world.settings, witness_policy=parse_policy(text))
    async with world.serving(settings) as service:
        assert (await service.change(None)).status_code == 201
        size = (await service.witnessed())["checkpoint"]["tree_size"]
        result = await service.until(
            lambda r: r["witnessed"]["latest_cosigners"] == ["audit.example-w1"]
        )
        assert result["witnessed"]["quorum_tree_size"] != size
        stored = await world.sql(
            "SELECT witness FROM journal_cosignatures WHERE tree_size = :s", {"s": size}
        )
        assert [row[0] for row in stored] == ["audit.example-w1"]


async def test_a_forged_cosignature_is_refused_by_the_service_and_offline(world: World) -> None:
    vkey = journal_signer(world.settings).vkey
    async with world.serving() as service:
        assert (await service.change(None)).status_code == 201
        size = (await service.witnessed())["checkpoint"]["tree_size"]
        await service.until(cosigned_at(size))
        (line,) = (
            await world.sql(
                "SELECT line FROM journal_cosignatures WHERE tree_size = :s AND witness = :w",
                {"s": size, "w": "audit.example-w2"},
            )
        )[0]
        forged = line[:-6] + ("AAAAAA" if not line.endswith("AAAAAA") else "BBBBBB")
        await world.sql(
            "UPDATE journal_cosignatures SET line = :l WHERE tree_size = :s AND witness = :w",
            {"l": forged, "s": size, "w": "audit.example-w2"},
        )
        result = await service.witnessed()
        assert result["witnessed"]["quorum_tree_size"] != size
        bundle = await export(service, world.tmp / "forged.jsonl")
    code, printed = offline(
        "journal", "verify", str(bundle), "--journal-key", vkey, "--policy", str(world.policy)
    )
    assert code == 1
    assert "cosignature does not verify" in printed
