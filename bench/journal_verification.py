"""How fast the journal verifies, next to a bare SHA-256 hash chain over the same bytes.

In process, no server, no database. A journal of ``entries`` entries is built with the
service's own code, as ``SqlJournalStore.append`` builds it: the plaintext is the canonical
JSON of a small fake list document (about 2 KB), the content is that sealed with
``FieldCipher`` for ``journal:<seq>``, the header is ``encode_header`` of its real hashes
and ``prev`` link, the entry hash is ``entry_hash`` of the header bytes, the Merkle tree a
``Frontier``; one ``CheckpointSigner`` checkpoint at the end, the one the service verifies
against (the latest covers every entry). Building is not timed.

Timed, best of ``runs`` (interleaved, so all three see the same machine state):

- ``verify``: ``verify_journal(entries, [latest], public_key=..., origin=...)``, which checks
  the sequence, each entry hash, the exact header shape, the chain link and the ciphertext
  hash, rebuilds the Merkle root and checks the signature;
- ``verify_open``: the same with ``open_content`` (AES-GCM decryption and the plaintext
  hash of every entry);
- ``bare_chain``: ``h = sha256(h + header + content)`` over every entry: the least a hash
  chain over the stored bytes costs.

The target is ``verify`` within 3x ``bare_chain``. ``breakdown_s`` times the parts of
``verify``'s loop on their own (the two hashes of each entry, ``decode_wire``, the
frontier) to show where the difference goes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import time
import uuid
from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.crypto import FieldCipher
from ksp.journal.canonical import canonical
from ksp.journal.checkpoint import CheckpointSigner
from ksp.journal.entry import (
    GENESIS,
    EntryHeader,
    StoredEntry,
    decode_wire,
    encode_header,
    entry_hash,
)
from ksp.journal.merkle import Frontier
from ksp.journal.verify import verify_journal

TARGET_RATIO = 3.0
ORIGIN = "ksp.bench/journal"
PERSONS_PER_DOCUMENT = 6  # about 2 KB of canonical JSON
NAMES = ("Jens", "Søren", "Aïcha", "Mikkel", "Ølsted", "Åse")
START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # created_at: from here, one entry a minute


@dataclasses.dataclass(frozen=True)
class Journal:
    entries: list[StoredEntry]
    note: str  # the latest (and only) checkpoint
    public_key: bytes
    cipher: FieldCipher
    plaintext_bytes: int

    def open_content(self, seq: int, content: bytes) -> bytes:
        return self.cipher.open(content, context=f"journal:{seq}")


def fake_document(seq: int) -> dict[str, Any]:
    """A list version as ``ksp.domain.documents.document_body`` shapes it, with fake people."""
    document = uuid.UUID(int=seq // 50 + 1)  # 50 versions a document
    return {
        "format": "ksp-document/1",
        "document_id": str(document),
        "version": seq % 50 + 1,
        "created_at": created_at(seq),
        "created_by": "bench-kif",
        "reason": "Opdateret før mødet",
        "meeting": {
            "id": str(uuid.UUID(int=seq // 50 + 10**9)),
            "title": "KSP-møde København",
            "scheduled_for": "2026-12-10T10:00:00+01:00",
            "municipality_code": 101,
            "police_district": "koebenhavn",
            "kif_unit": "kif-hovedstaden",
        },
        "entries": [
            {
                "case_id": str(uuid.UUID(int=seq * PERSONS_PER_DOCUMENT + person)),
                "name": f"{NAMES[(seq + person) % len(NAMES)]} Benchperson-{seq:06d}{person}",
                "cpr": f"{(seq % 28) + 1:02d}{person + 1:02d}{seq % 100:02d}-{seq % 4}{person:03d}",
                "concern": f"Bekymring for radikalisering, sag {seq}-{person}: " + "x" * 40,
                "custody": "remand",
                "submitted_by_unit": "arrest-bench",
            }
            for person in range(PERSONS_PER_DOCUMENT)
        ],
    }


def created_at(seq: int) -> str:
    return (START + dt.timedelta(minutes=seq)).isoformat()


def build(size: int) -> Journal:
    """``size`` entries and the checkpoint over all of them, as the journal store makes them."""
    cipher = FieldCipher({"bench": bytes(range(32))}, "bench")
    signer = CheckpointSigner(Ed25519PrivateKey.from_private_bytes(bytes([1]) * 32), ORIGIN)
    entries: list[StoredEntry] = []
    frontier = Frontier()
    prev = GENESIS
    plaintext_bytes = 0
    for seq in range(1, size + 1):
        plaintext = canonical(fake_document(seq))
        plaintext_bytes += len(plaintext)
        content = cipher.seal(plaintext, context=f"journal:{seq}")
        header = encode_header(
            EntryHeader(
                seq=seq,
                kind="document-version",
                ref=f"{uuid.UUID(int=seq // 50 + 1)}/{seq % 50 + 1}",
                author="bench-kif",
                created_at=created_at(seq),
                ciphertext_sha256=hashlib.sha256(content).hexdigest(),
                plaintext_sha256=hashlib.sha256(plaintext).hexdigest(),
                prev=prev.hex(),
            )
        )
        link = entry_hash(header)
        frontier.append(link)
        entries.append(StoredEntry(seq, header, link, content))
        prev = link
    note = signer.sign(size, frontier.root())
    return Journal(entries, note, signer.public_key_bytes, cipher, plaintext_bytes)


# What is timed ----------------------------------------------------------------------------


def bare_chain(entries: Sequence[StoredEntry]) -> bytes:
    """The baseline: one SHA-256 chain over every stored byte, nothing else."""
    h = bytes(32)
    for entry in entries:
        h = sha256(h + entry.header + (entry.content or b"")).digest()
    return h


def verifier(journal: Journal, *, open_content: bool) -> Callable[[], object]:
    def run() -> object:
        result = verify_journal(
            journal.entries,
            [journal.note],
            public_key=journal.public_key,
            origin=ORIGIN,
            open_content=journal.open_content if open_content else None,
        )
        if not result.ok or result.entries != len(journal.entries):
            raise RuntimeError(f"the bench journal does not verify: {result}")
        return result

    return run


def hashes_only(entries: Sequence[StoredEntry]) -> None:
    for entry in entries:
        sha256(b"\x00" + entry.header).digest()
        sha256(entry.content or b"").hexdigest()


def decode_only(entries: Sequence[StoredEntry]) -> None:
    for entry in entries:
        decode_wire(entry.header)


def frontier_only(entries: Sequence[StoredEntry]) -> None:
    tree = Frontier()
    for entry in entries:
        tree.append(entry.entry_hash)
    tree.root()


def best_of(runs: int, timed: dict[str, Callable[[], object]]) -> dict[str, float]:
    """The least wall time of each callable over ``runs`` interleaved rounds."""
    best = dict.fromkeys(timed, float("inf"))
    for _ in range(runs):
        for name, run in timed.items():
            gc.collect()
            started = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def bench_journal_verification(size: int, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    journal = build(size)
    build_s = time.perf_counter() - started
    entries = journal.entries
    best = best_of(
        runs,
        {
            "verify": verifier(journal, open_content=False),
            "verify_open": verifier(journal, open_content=True),
            "bare_chain": lambda: bare_chain(entries),
        },
    )
    parts = best_of(
        runs,
        {
            "hashes": lambda: hashes_only(entries),
            "decode_wire": lambda: decode_only(entries),
            "frontier": lambda: frontier_only(entries),
        },
    )
    bare = best["bare_chain"]
    ratio_a, ratio_b = best["verify"] / bare, best["verify_open"] / bare
    stored = sum(len(e.header) + len(e.content or b"") for e in entries)
    return {
        "entries": size,
        "runs": runs,
        "mean_plaintext_bytes": round(journal.plaintext_bytes / size),
        "mean_stored_bytes": round(stored / size),
        "build_s": round(build_s, 1),
        "seconds": {name: round(value, 4) for name, value in best.items()},
        "entries_per_s": {name: round(size / value) for name, value in best.items()},
        "ratio_verify_to_bare": round(ratio_a, 2),
        "ratio_verify_open_to_bare": round(ratio_b, 2),
        "target": f"verify within {TARGET_RATIO:g}x the bare chain",
        "meets_target": ratio_a <= TARGET_RATIO,
        "breakdown_s": {name: round(value, 4) for name, value in parts.items()},
    }
