"""Proofs, receipts and witnesses (issue 12): how fast, on a journal of a million entries.

- ``inclusion`` and ``consistency``: ``ProofService.inclusion`` / ``.consistency`` (the
  service's own code: the checkpoints, cosignatures and nodes in one query, the self-check
  against the signed root, the checkpoint's signature) on a SQLite database whose
  ``journal_tree_nodes`` table holds every perfect subtree of 1,000,000 leaves, written
  directly (as the appends would, from a ``Frontier``) for speed, with signed checkpoints
  at the sizes asked; next to the bare reads of the same rows by plain SQL on the same
  engine. Wall-clock p50/p95 and the CPU time per request. Target p95 ≤ 5 ms, judged on
  the CPU time per request when the machine is busy (see ``_judged_on``).
- ``verify_receipt``: ``verify_witnessed_receipt`` (what ``ksp journal verify-receipt
  --policy`` runs after reading its files) of a receipt for a real entry header at a random
  index of that tree, its checkpoint cosigned by two witnesses of the policy. Target ≤ 10
  ms. ``verify_receipt_cli_ms`` is the whole command as a process, Python's start-up
  included, reported apart.
- ``witnessed_list_change``: the list-version bench (``list_version.py``: ``ksp serve``,
  one change at a time) without witnesses and with two ``ksp witness serve`` processes on
  loopback in ``KSP_WITNESS_POLICY``. Target: p95 with ≤ 2x p95 without.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from harness import KSP, BenchError, ksp, percentile_ms, sqlite_backend
from ksp.crypto import FieldCipher, KeyedHasher
from ksp.db.data_key_store import DataKeyRing
from ksp.db.engine import create_engine, create_sessionmaker
from ksp.db.migrate import upgrade
from ksp.db.uow import Adapters, SqlUnitOfWorkFactory
from ksp.db.url import async_database_url
from ksp.journal.checkpoint import CheckpointSigner
from ksp.journal.entry import EntryHeader, encode_header, entry_hash
from ksp.journal.merkle import Frontier
from ksp.journal.proofs import consistency_plan, inclusion_plan
from ksp.journal.receipt import Receipt, encode_receipt
from ksp.journal.witnessed_receipt import verify_witnessed_receipt
from ksp.keys.file_kek import FileKekKeeper
from ksp.services.proofs import ProofService
from ksp.witness.cosignature import Cosigner, note_body
from ksp.witness.policy import parse_policy
from list_version import ListConfig, bench_list_version

TARGET_PROOF_MS = 5.0
TARGET_RECEIPT_MS = 10.0
TARGET_WITNESS_RATIO = 2.0
ORIGIN = "ksp.bench/journal"
_BATCH = 50_000
_WARMUP = 5


DOCUMENT = b'{"bench":"a list version"}'


def _header(seq: int) -> bytes:
    return encode_header(
        EntryHeader(
            seq=seq,
            kind="version",
            ref="bench-list",
            author="kf:bench",
            created_at="2026-11-01T12:00:00+01:00",
            ciphertext_sha256="0" * 64,
            plaintext_sha256=hashlib.sha256(DOCUMENT).hexdigest(),
            prev="0" * 64,
        )
    )


def build_tree(
    path: Path, signer: CheckpointSigner, entries: int, sizes: set[int], real: int
) -> bytes:
    """The node table of ``entries`` leaves (leaf ``real`` the hash of a real header, which is
    returned), and signed checkpoints at ``sizes``, straight into the migrated file."""
    frontier, batch = Frontier(), []
    header = _header(real + 1)
    with sqlite3.connect(path) as db:
        for index in range(entries):
            leaf = entry_hash(header) if index == real else os.urandom(32)
            batch += frontier.append(leaf)
            if index + 1 in sizes:
                root = frontier.root()
                db.execute(
                    "INSERT INTO journal_checkpoints (tree_size, root, note, frontier) "
                    "VALUES (?, ?, ?, ?)",
                    (index + 1, root, signer.sign(index + 1, root), frontier.to_bytes()),
                )
            if len(batch) >= _BATCH:
                db.executemany("INSERT INTO journal_tree_nodes VALUES (?, ?, ?)", batch)
                batch = []
        db.executemany("INSERT INTO journal_tree_nodes VALUES (?, ?, ?)", batch)
    return header


async def _timed(calls: list[Any]) -> tuple[list[float], float]:
    """Each call's wall time, sorted, and the process's CPU seconds over all of them (the
    database driver's thread included): a figure other work on the machine moves less."""
    seconds = []
    cpu_at = time.process_time()
    for call in calls:
        started = time.perf_counter()
        await call()
        seconds.append(time.perf_counter() - started)
    return sorted(seconds), time.process_time() - cpu_at


def _stats(timed: tuple[list[float], float], target: float) -> dict[str, Any]:
    ordered, cpu_s = timed
    p95 = percentile_ms(ordered, 95)
    cpu_ms = round(cpu_s / len(ordered) * 1000, 3)
    return {
        "p50_ms": percentile_ms(ordered, 50),
        "p95_ms": p95,
        "max_ms": round(ordered[-1] * 1000, 3),
        "cpu_ms_per_request": cpu_ms,
        "target_ms": target,
        "meets_target": p95 is not None and p95 <= target,
        "cpu_meets_target": cpu_ms <= target,
    }


def _with_bare(service: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    bare = {key: bare[key] for key in ("p50_ms", "p95_ms", "max_ms", "cpu_ms_per_request")}
    ratio = (
        bare["cpu_ms_per_request"] and service["cpu_ms_per_request"] / bare["cpu_ms_per_request"]
    )
    return {**service, "bare": bare, "ratio_cpu_to_bare": round(ratio, 2)}


# The bare baseline: the rows a proof reads (its checkpoint notes and its nodes), by plain
# SQL text on the same engine (one connection, its transaction, the same driver), the node
# ids worked out before the clock starts; no checks, no proof built.
_BARE_CHECKPOINTS = text(
    "SELECT tree_size, note FROM journal_checkpoints WHERE tree_size IN :sizes"
).bindparams(bindparam("sizes", expanding=True))


def _bare_nodes(ids: frozenset[tuple[int, int]]) -> TextClause:
    """The nodes' select with the (integer) ids written into its text."""
    by_level: dict[int, list[int]] = {}
    for level, idx in ids:
        by_level.setdefault(level, []).append(idx)
    where = " OR ".join(
        f"(level = {level} AND idx IN ({', '.join(map(str, idxs))}))"
        for level, idxs in by_level.items()
    )
    return text(f"SELECT level, idx, hash FROM journal_tree_nodes WHERE {where}")  # noqa: S608


def _bare_read(engine: AsyncEngine, sizes: list[int], ids: frozenset[tuple[int, int]]) -> Any:
    nodes = _bare_nodes(ids)

    async def read() -> None:
        async with engine.connect() as connection:
            await connection.begin()
            (await connection.execute(_BARE_CHECKPOINTS, {"sizes": sizes})).all()
            if len((await connection.execute(nodes)).all()) != len(ids):
                raise BenchError("the bare read missed nodes")

    return read


def _judged_on(load_before: float) -> str:
    """The figure the 5 ms target is judged on: the wall-clock p95 on a machine with a core
    to spare; on a busier one (load average at least the core count) the p95 measures the
    other work, so the CPU time per request."""
    return "p95_ms" if load_before < (os.cpu_count() or 1) else "cpu_ms_per_request"


async def _proofs(work: Path, entries: int, runs: int) -> dict[str, Any]:
    rng = random.Random(12)
    signer = CheckpointSigner(Ed25519PrivateKey.generate(), ORIGIN)
    path = work / "proofs.sqlite3"
    engine = create_engine(async_database_url(f"sqlite:///{path}"))
    await upgrade(engine)
    froms = [rng.randrange(1, entries) for _ in range(runs)]
    real = rng.randrange(entries)
    built_at = time.perf_counter()
    header = await asyncio.to_thread(build_tree, path, signer, entries, {*froms, entries}, real)
    build_s = time.perf_counter() - built_at
    adapters = Adapters(
        create_sessionmaker(engine),
        FieldCipher({"b": bytes(32)}, "b"),
        KeyedHasher(bytes(32)),
        signer,
        DataKeyRing(FileKekKeeper(work / "kek.json")),  # proofs open no content
    )
    proofs = ProofService(SqlUnitOfWorkFactory(adapters), signer)
    indexes = [rng.randrange(entries) for _ in range(runs)]
    load_before = os.getloadavg()[0]
    for index in indexes[:_WARMUP]:  # the connection, SQLAlchemy's statement caches
        await proofs.inclusion(index, entries)
        await _bare_read(engine, [entries], inclusion_plan(index, entries).node_ids())()
    inclusion = await _timed([lambda i=i: proofs.inclusion(i, entries) for i in indexes])
    bare_inclusion = await _timed(
        [
            _bare_read(engine, [entries], inclusion_plan(i, entries).node_ids() | {(0, i)})
            for i in indexes
        ]
    )
    consistency = await _timed([lambda f=f: proofs.consistency(f, entries) for f in froms])
    bare_consistency = await _timed(
        [_bare_read(engine, [f, entries], consistency_plan(f, entries).node_ids()) for f in froms]
    )
    found = await proofs.inclusion(real, entries)
    await engine.dispose()
    receipt = _receipt(work, signer, header, real, found.proof, found.checkpoint, runs)
    judged_on = _judged_on(load_before)
    results = {
        name: _with_bare(_stats(service, TARGET_PROOF_MS), _stats(bare, 0))
        for name, service, bare in (
            ("inclusion", inclusion, bare_inclusion),
            ("consistency", consistency, bare_consistency),
        )
    }
    for result in results.values():
        result["judged_on"] = judged_on
        result["meets_judged_target"] = result[
            "meets_target" if judged_on == "p95_ms" else "cpu_meets_target"
        ]
    return {
        "entries": entries,
        "runs": runs,
        "warmup": _WARMUP,
        "build_tree_s": round(build_s, 1),
        "load_average_before": round(load_before, 2),
        **results,
        "verify_receipt": receipt,
    }


def _receipt(
    work: Path,
    signer: CheckpointSigner,
    header: bytes,
    index: int,
    proof: list[bytes],
    note: str,
    runs: int,
) -> dict[str, Any]:
    witnesses = [Cosigner(Ed25519PrivateKey.generate(), f"bench.example/w{n}") for n in (1, 2)]
    cosigned = note + "".join(w.cosign(note_body(note)) for w in witnesses)
    text = f"log {signer.vkey}\n" + "".join(
        f"witness w{n} {w.vkey.encode()}\n" for n, w in enumerate(witnesses, 1)
    )
    policy_text = text + "group both all w1 w2\nquorum both\n"
    receipt = encode_receipt(Receipt(header, index, proof, cosigned))
    seconds = []
    cpu_at = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        held = verify_witnessed_receipt(receipt, DOCUMENT, parse_policy(policy_text))
        seconds.append(time.perf_counter() - started)
        if held.cosigners != ("w1", "w2"):
            raise BenchError("the receipt's quorum was not found")
    files = work / "receipt"
    files.mkdir()
    (files / "policy.txt").write_text(policy_text)
    (files / "r.tlog-proof").write_text(receipt)
    (files / "d.json").write_bytes(DOCUMENT)
    cli = []
    verify = [str(KSP), "journal", "verify-receipt", str(files / "r.tlog-proof")]
    for _ in range(5):
        started = time.perf_counter()
        done = subprocess.run(
            [*verify, "--document", str(files / "d.json"), "--policy", str(files / "policy.txt")],
            capture_output=True,
            check=False,
        )
        cli.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise BenchError(f"verify-receipt did not hold: {done.stdout}")
    result = _stats((sorted(seconds), time.process_time() - cpu_at), TARGET_RECEIPT_MS)
    result["verify_receipt_cli_ms"] = percentile_ms(sorted(cli), 50)
    return result


@contextlib.contextmanager
def _witnesses(work: Path, log_key: str) -> Iterator[str]:
    """Two ``ksp witness serve`` processes on loopback; a policy file naming them."""
    processes, lines = [], [f"log {log_key}"]
    serve = [str(KSP), "witness", "serve"]

    def state(n: int) -> list[str]:
        return ["--port", "0", "--state-dir", str(work / f"w{n}"), "--log-key", log_key]

    try:
        for n in (1, 2):
            key = work / f"w{n}.pem"
            vkey = subprocess.run(
                [str(KSP), "witness", "new-key", "--out", str(key), "--name", f"bench/w{n}"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            process = subprocess.Popen(
                [*serve, "--key-file", str(key), "--name", f"bench/w{n}", *state(n)],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            processes.append(process)
            if process.stdout is None:
                raise BenchError("no witness output")
            port = process.stdout.readline().rsplit(":", 1)[1].strip()
            lines.append(f"witness w{n} {vkey} http://127.0.0.1:{port}")
        policy = work / "policy.txt"
        policy.write_text("\n".join([*lines, "group both all w1 w2", "quorum both"]) + "\n")
        yield str(policy)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


def bench_witnessed_changes(config: ListConfig, work: Path) -> dict[str, Any]:
    """On SQLite: the same list changes on a fresh service without, then with witnesses."""
    results = {}
    for name in ("without", "with"):
        where = work / name
        where.mkdir(parents=True)
        backend = sqlite_backend(where)
        if name == "without":
            results[name] = bench_list_version(backend, config, where)
            continue
        env = {k: v for k, v in os.environ.items() if not k.startswith("KSP_")}
        env.update(KSP_DATA_DIR=str(where / "ksp-data"), KSP_DATABASE_URL=backend.service_url)
        printed = ksp(env, "init")
        log_key = next(
            line.split(":", 1)[1].strip()
            for line in printed.splitlines()
            if line.startswith("verifier key")
        )
        with _witnesses(where, log_key) as policy:
            extra = {"KSP_WITNESS_POLICY": policy}
            results[name] = bench_list_version(backend, config, where, extra_env=extra)
    bare, witnessed = results["without"], results["with"]
    ratio = None
    if bare.get("latency_ms", {}).get("p95") and witnessed.get("latency_ms", {}).get("p95"):
        ratio = round(witnessed["latency_ms"]["p95"] / bare["latency_ms"]["p95"], 2)
    return {
        "without_witnesses": bare,
        "with_two_witnesses": witnessed,
        "ratio_p95": ratio,
        "target_ratio": TARGET_WITNESS_RATIO,
        "meets_target": ratio is not None and ratio <= TARGET_WITNESS_RATIO,
    }


def bench_proofs(work: Path, entries: int, runs: int) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    return asyncio.run(_proofs(work, entries, runs))
