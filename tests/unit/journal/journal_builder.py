"""Journals built in memory for the verifier's tests.

Real headers, real AES-GCM content (bound to its sequence number, as the store does)
and a signed checkpoint after every append, so an attack in a test is an attack on the
same bytes an auditor would see.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksp.crypto import FieldCipher
from ksp.journal.bundle import write_bundle
from ksp.journal.checkpoint import CheckpointSigner
from ksp.journal.entry import (
    GENESIS,
    EntryHeader,
    StoredEntry,
    encode_header,
    entry_hash,
    parse_header,
)
from ksp.journal.merkle import Frontier
from ksp.journal.verify import Verification, verify_journal

ORIGIN = "ksp.example/journal"
CIPHER = FieldCipher({"k1": bytes(range(32))}, "k1")


def signer(seed: int = 1, origin: str = ORIGIN) -> CheckpointSigner:
    return CheckpointSigner(Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32), origin)


def open_content(seq: int, content: bytes) -> bytes:
    return CIPHER.open(content, context=f"journal:{seq}")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Journal:
    signer: CheckpointSigner = field(default_factory=signer)
    entries: list[StoredEntry] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    frontier: Frontier = field(default_factory=Frontier)

    @property
    def public_key(self) -> bytes:
        return self.signer.public_key_bytes

    def append(self, plaintext: bytes, *, author: str = "kf:unit-7") -> None:
        seq = len(self.entries) + 1
        content = CIPHER.seal(plaintext, context=f"journal:{seq}")
        prev = self.entries[-1].entry_hash if self.entries else GENESIS
        header = encode_header(
            EntryHeader(
                seq=seq,
                kind="version",
                ref=f"list-{seq % 3}",
                author=author,
                created_at=f"2025-03-01T12:{seq % 60:02d}:00+01:00",
                ciphertext_sha256=sha256_hex(content),
                plaintext_sha256=sha256_hex(plaintext),
                prev=prev.hex(),
            )
        )
        link = entry_hash(header)
        self.entries.append(StoredEntry(seq, header, link, content))
        self.frontier.append(link)
        self.checkpoints.append(self.signer.sign(seq, self.frontier.root()))

    def latest(self) -> str:
        return self.checkpoints[-1]

    def verify(
        self,
        entries: Iterable[StoredEntry] | None = None,
        checkpoints: Iterable[str] | None = None,
        **options: object,
    ) -> Verification:
        return verify_journal(
            self.entries if entries is None else entries,
            self.checkpoints if checkpoints is None else checkpoints,
            public_key=self.public_key,
            origin=self.signer.origin,
            **options,  # type: ignore[arg-type]
        )


def build_journal(size: int, journal_signer: CheckpointSigner | None = None) -> Journal:
    journal = Journal(journal_signer or signer())
    for number in range(size):
        journal.append(f"list version {number}: Søren, Aalborg".encode())
    return journal


def with_header(entry: StoredEntry, *, rehash: bool, **changes: object) -> StoredEntry:
    """The entry with header fields changed; its entry hash recomputed when ``rehash``."""
    header = encode_header(dataclasses.replace(parse_header(entry.header), **changes))
    link = entry_hash(header) if rehash else entry.entry_hash
    return dataclasses.replace(entry, header=header, entry_hash=link)


def rechain(entries: list[StoredEntry], start: int) -> list[StoredEntry]:
    """Recompute ``prev`` and the entry hash of every entry after index ``start``."""
    chained = list(entries)
    for index in range(start + 1, len(chained)):
        prev = chained[index - 1].entry_hash.hex()
        chained[index] = with_header(chained[index], rehash=True, prev=prev)
    return chained


def save_bundle(journal: Journal, path: Path) -> Path:
    """The journal as an export bundle file (with content), as ``GET /audit/export`` gives."""
    with path.open("w", encoding="utf-8") as out:
        write_bundle(
            out,
            origin=journal.signer.origin,
            public_key=journal.public_key,
            vkey=journal.signer.vkey,
            entries=journal.entries,
            entry_count=len(journal.entries),
            checkpoints=journal.checkpoints,
            include_content=True,
            exported_at="2025-03-02T08:00:00+01:00",
        )
    return path
