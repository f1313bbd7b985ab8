"""Verifying a journal from its stored bytes, with or without the content key.

:func:`verify_journal` reads the entries once, in the order given, and checks each on
its own and against the one before: the sequence number runs 1, 2, 3, … without gaps;
the stored entry hash is the leaf hash of the stored header bytes; the header is exactly
the version-1 or -2 shape, names the same sequence number and links to the previous entry's
hash (:data:`~ksp.journal.entry.GENESIS` for entry 1); the ciphertext, when present,
hashes to ``ciphertext_sha256``; and, given a way to open it, the plaintext to
``plaintext_sha256`` (version 1) or to ``plaintext_hmac`` under the entry's commitment
key (version 2; content erased since is checked by its ciphertext hash alone). It stops at
the first entry that fails.

Then it reads the checkpoints (only then, so an export may list them after the entries)
and verifies every signature. From the entry hashes it kept (32 bytes an entry) it
rebuilds the Merkle tree once, comparing the root at each checkpoint's size. A
checkpoint at a size below the first failing entry that does not match wins over that
entry's fault: it pins the first entry that changed, even when later hashes were all
recomputed. Finally the checkpoints must cover every entry and none may be larger than
the journal (a truncated tail). ``trusted``, a checkpoint an auditor kept from an
earlier look, must match too, or prove the journal was cut.

The result names the first bad sequence number and a short fixed reason (a
:class:`Reason`), never any data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from hashlib import sha256
from typing import Protocol

from ksp.journal.checkpoint import Checkpoint, InvalidCheckpoint, verify_checkpoint
from ksp.journal.entry import GENESIS, MalformedEntry, StoredEntry, commitment, decode_wire
from ksp.journal.merkle import HASH_SIZE, Frontier

__all__ = ["ContentOpener", "Opened", "Reason", "Verification", "verify_journal"]


class _Hashes(Protocol):
    @property
    def ciphertext_sha256(self) -> str: ...
    @property
    def plaintext_sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Opened:
    """Opened content with the commitment key of its entry (a version-2 header's)."""

    plaintext: bytes
    commitment_key: bytes


ContentOpener = Callable[[int, bytes], bytes | Opened | None]
"""Decrypts an entry's content: (seq, ciphertext) to plaintext (with the commitment key, for
a version-2 header), or None for content that was erased (its data key destroyed: only
its ciphertext hash is checked then); may raise."""


class Reason(StrEnum):
    """Why a journal is not intact: short, fixed English."""

    SEQUENCE = "sequence gap"
    ENTRY_HASH = "entry hash"
    MALFORMED_HEADER = "malformed header"
    HEADER_SEQ = "header sequence number"
    CHAIN = "chain link"
    CONTENT_HASH = "content hash"
    CONTENT_UNREADABLE = "content does not open"
    PLAINTEXT_HASH = "plaintext hash"
    CHECKPOINT_SIGNATURE = "checkpoint signature"
    CHECKPOINT_ROOT = "checkpoint root mismatch"
    TRUSTED_ROOT = "trusted checkpoint mismatch"
    TRUNCATED = "truncated"
    NOT_COVERED = "entries not covered by a checkpoint"
    BUNDLE_COUNT = "bundle line count"
    MALFORMED_BUNDLE = "malformed bundle"
    PUBLIC_KEY = "unexpected public key"


@dataclass(frozen=True)
class Verification:
    """The outcome: ``ok`` with the latest checkpoint, or the first bad seq and why.

    ``entries`` counts the entries read (up to the first bad one). ``first_bad_seq`` is
    None when no entry can be blamed (a bad signature, a malformed bundle).
    """

    ok: bool
    entries: int
    first_bad_seq: int | None
    reason: str | None
    checkpoint: Checkpoint | None


def verify_journal(
    entries: Iterable[StoredEntry],
    checkpoints: Iterable[str],
    *,
    public_key: bytes,
    origin: str,
    trusted: str | None = None,
    open_content: ContentOpener | None = None,
) -> Verification:
    """Check a journal and its checkpoints; ``entries`` is read before ``checkpoints``."""
    try:
        pinned = (
            None
            if trusted is None
            else verify_checkpoint(trusted, public_key=public_key, origin=origin)
        )
    except InvalidCheckpoint:
        return _bad(0, None, Reason.CHECKPOINT_SIGNATURE)
    walk = _walk(entries, open_content)
    try:
        book = _Book.read(checkpoints, public_key, origin)
    except InvalidCheckpoint:
        return _bad(walk.count, None, Reason.CHECKPOINT_SIGNATURE)
    mismatch = _first_mismatch(walk, book, pinned)
    if mismatch is not None:
        return _bad(walk.count, *mismatch)
    if walk.fault is not None:
        return _bad(walk.count, walk.count, walk.fault)
    return _coverage(walk.count, book, pinned)


@dataclass
class _Walk:
    """How far the entries held: the good ones' hashes, as bytes and as a tree."""

    count: int = 0
    fault: Reason | None = None
    leaves: bytearray = field(default_factory=bytearray)
    tree: Frontier = field(default_factory=Frontier)


def _walk(entries: Iterable[StoredEntry], open_content: ContentOpener | None) -> _Walk:
    """Check entries in order up to the first fault, keeping their hashes."""
    walk = _Walk()
    leaves, tree = walk.leaves, walk.tree
    prev = GENESIS.hex()
    seq = 0
    for entry in entries:
        seq += 1
        fault = _check_entry(entry, seq, prev, open_content)
        if fault is not None:
            walk.count, walk.fault = seq, fault
            return walk
        leaves += entry.entry_hash
        tree.append(entry.entry_hash)
        prev = entry.entry_hash.hex()
    walk.count = seq
    return walk


def _check_entry(
    entry: StoredEntry, seq: int, prev: str, open_content: ContentOpener | None
) -> Reason | None:
    """The first fault of one entry: its place, its hash, its header, its content."""
    if entry.seq != seq:
        return Reason.SEQUENCE
    if sha256(b"\x00" + entry.header).digest() != entry.entry_hash:  # leaf_hash, inlined
        return Reason.ENTRY_HASH
    try:
        header = decode_wire(entry.header)
    except MalformedEntry:
        return Reason.MALFORMED_HEADER
    if header.seq != seq or header.prev != prev:
        return Reason.HEADER_SEQ if header.seq != seq else Reason.CHAIN
    return _check_content(open_content, seq, entry.content, header.v, header)


def _check_content(
    open_content: ContentOpener | None,
    seq: int,
    content: bytes | None,
    version: int,
    header: _Hashes,
) -> Reason | None:
    if content is None:
        return None
    if sha256(content).hexdigest() != header.ciphertext_sha256:
        return Reason.CONTENT_HASH
    if open_content is None:
        return None
    return _check_plaintext(open_content, seq, content, version, header.plaintext_sha256)


def _check_plaintext(
    open_content: ContentOpener, seq: int, content: bytes, version: int, committed: str
) -> Reason | None:
    """The plaintext against the header: its SHA-256 (v1) or its HMAC (v2)."""
    try:
        opened = open_content(seq, content)
    except Exception:  # noqa: BLE001 - content that cannot be opened is a bad entry, whatever the cause
        return Reason.CONTENT_UNREADABLE
    if opened is None:  # erased: the ciphertext hash above is all that is left to check
        return None
    if version == 1:
        plaintext = opened.plaintext if isinstance(opened, Opened) else opened
        found = sha256(plaintext).hexdigest()
    elif isinstance(opened, Opened):
        found = commitment(opened.commitment_key, opened.plaintext)
    else:
        return Reason.CONTENT_UNREADABLE  # no commitment key: nothing to check it with
    return None if found == committed else Reason.PLAINTEXT_HASH


class _Book:
    """The verified checkpoints' roots by tree size, and the latest checkpoint."""

    def __init__(self) -> None:
        self.roots: dict[int, bytes] = {}
        self.conflicting: list[tuple[int, bytes]] = []  # a second, different root for a size
        self.latest: Checkpoint | None = None

    @classmethod
    def read(cls, notes: Iterable[str], public_key: bytes, origin: str) -> _Book:
        book = cls()
        for note in notes:
            book.add(verify_checkpoint(note, public_key=public_key, origin=origin))
        return book

    def add(self, checkpoint: Checkpoint) -> None:
        size = checkpoint.tree_size
        if self.roots.setdefault(size, checkpoint.root) != checkpoint.root:
            self.conflicting.append((size, checkpoint.root))
        if self.latest is None or size > self.latest.tree_size:
            self.latest = checkpoint

    def matches(self, size: int, root: bytes) -> bool:
        if self.roots.get(size, root) != root:
            return False
        return all(other == root for at, other in self.conflicting if at == size)


def _first_mismatch(
    walk: _Walk, book: _Book, pinned: Checkpoint | None
) -> tuple[int, Reason] | None:
    """The smallest checkpoint size, up to the good entries, whose root they do not give.

    The tree of all good entries gives the root at their count (the latest checkpoint,
    usually the only one); smaller sizes replay the kept hashes once, in order.
    """
    tip = walk.tree
    sizes = {size for size in book.roots if size <= tip.size}
    if pinned is not None and pinned.tree_size <= tip.size:
        sizes.add(pinned.tree_size)
    leaves = bytes(walk.leaves)
    replay = Frontier()
    for size in sorted(sizes):
        if size == tip.size:
            root = tip.root()
        else:
            for at in range(replay.size * HASH_SIZE, size * HASH_SIZE, HASH_SIZE):
                replay.append(leaves[at : at + HASH_SIZE])
            root = replay.root()
        if not book.matches(size, root):
            return size, Reason.CHECKPOINT_ROOT
        if pinned is not None and pinned.tree_size == size and pinned.root != root:
            return size, Reason.TRUSTED_ROOT
    return None


def _coverage(count: int, book: _Book, pinned: Checkpoint | None) -> Verification:
    """Every entry under the latest checkpoint, and no checkpoint beyond the entries."""
    latest = book.latest
    longest = max(latest.tree_size if latest else 0, pinned.tree_size if pinned else 0)
    if longest > count:
        return _bad(count, count + 1, Reason.TRUNCATED)
    covered = latest.tree_size if latest else 0
    if covered < count:
        return _bad(count, covered + 1, Reason.NOT_COVERED)
    return Verification(ok=True, entries=count, first_bad_seq=None, reason=None, checkpoint=latest)


def _bad(entries: int, first_bad_seq: int | None, reason: Reason) -> Verification:
    return Verification(
        ok=False, entries=entries, first_bad_seq=first_bad_seq, reason=reason, checkpoint=None
    )
