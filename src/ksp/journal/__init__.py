"""The journal: an append-only, tamper-evident record of KSP list versions.

One entry per version (later also per recorded decision). Each entry's header commits to
its sequence number (gapless from 1), kind, reference, author, time, the SHA-256 of the
stored ciphertext and of the plaintext, and the previous entry's hash. The entry hash is
the RFC 6962 leaf hash of the stored header bytes: both the hash-chain link and the
entry's leaf in the Merkle tree. After each append the journal signs a checkpoint (tree
size and Merkle root, Ed25519, C2SP signed-note checkpoint format).

Everything is verified from the stored bytes, never from a re-serialisation: an auditor
without the content key checks every stored byte, and with it also the plaintexts.

Modules, all pure (no database, no network):

- :mod:`~ksp.journal.canonical` canonical JSON (RFC 8785 over NFC text)
- :mod:`~ksp.journal.merkle` RFC 6962 hashes, the reference root and the frontier
- :mod:`~ksp.journal.entry` headers, their encoding and the entry hash
- :mod:`~ksp.journal.checkpoint` signing and verifying checkpoint notes
- :mod:`~ksp.journal.verify` verifying a journal and its checkpoints
- :mod:`~ksp.journal.bundle` export bundles (JSON Lines) and their verification
- :mod:`~ksp.journal.cli` the one-line verdict of ``ksp journal verify``
"""

from __future__ import annotations

from ksp.journal.bundle import BUNDLE_FORMAT, verify_bundle, write_bundle
from ksp.journal.canonical import canonical
from ksp.journal.checkpoint import (
    Checkpoint,
    CheckpointSigner,
    InvalidCheckpoint,
    key_id,
    verifier_key,
    verify_checkpoint,
)
from ksp.journal.cli import verify_command
from ksp.journal.entry import (
    GENESIS,
    EntryHeader,
    MalformedEntry,
    StoredEntry,
    encode_header,
    entry_hash,
    parse_header,
)
from ksp.journal.merkle import EMPTY_ROOT, Frontier, leaf_hash, merkle_root, node_hash
from ksp.journal.verify import ContentOpener, Reason, Verification, verify_journal

__all__ = [
    "BUNDLE_FORMAT",
    "EMPTY_ROOT",
    "GENESIS",
    "Checkpoint",
    "CheckpointSigner",
    "ContentOpener",
    "EntryHeader",
    "Frontier",
    "InvalidCheckpoint",
    "MalformedEntry",
    "Reason",
    "StoredEntry",
    "Verification",
    "canonical",
    "encode_header",
    "entry_hash",
    "key_id",
    "leaf_hash",
    "merkle_root",
    "node_hash",
    "parse_header",
    "verifier_key",
    "verify_bundle",
    "verify_checkpoint",
    "verify_command",
    "verify_journal",
    "write_bundle",
]
