"""Export bundles: a journal as JSON Lines (UTF-8) that an auditor verifies offline.

Line 1 is the manifest; then one line per entry, in order; then one line per
checkpoint::

    {"type":"manifest","format":"ksp-journal-bundle/1","origin":…,"public_key":…,
     "vkey":…,"entries":N,"checkpoints":M,"content":true,"exported_at":…}
    {"type":"entry","seq":1,"header":<base64 of the stored bytes>,"entry_hash":<hex>,
     "content":<base64 ciphertext, only when content is included>}
    {"type":"entry","seq":2,"header":…,"entry_hash":…,"content_erased":true}
    {"type":"checkpoint","note":<the signed note>}

An entry whose ciphertext an erasure emptied (one sealed before data keys) has
``"content_erased": true`` instead of its content in a bundle with content; its header
still commits to the ciphertext's SHA-256, so it verifies by its header alone.

The manifest is not signed: it only says what the bundle holds, and its counts catch a
line lost in transit. Trust comes from the checkpoints, verified with the manifest's
public key; an auditor pins that key with ``expected_public_key`` (and keeps a checkpoint
of an earlier look as ``trusted``). :func:`verify_bundle` reads the lines once, so a
bundle of any size verifies in the memory of its entry hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Annotated, Final, Literal

import msgspec

from ksp.journal.checkpoint import verifier_key
from ksp.journal.entry import StoredEntry
from ksp.journal.verify import Reason, Verification, verify_journal

__all__ = [
    "BUNDLE_FORMAT",
    "bundle_head",
    "checkpoint_line",
    "entry_line",
    "verify_bundle",
    "write_bundle",
]

BUNDLE_FORMAT: Final = "ksp-journal-bundle/1"

_Count = Annotated[int, msgspec.Meta(ge=0)]


class _Manifest(msgspec.Struct, tag_field="type", tag="manifest", forbid_unknown_fields=True):
    format: Literal["ksp-journal-bundle/1"]
    origin: str
    public_key: bytes
    vkey: str
    entries: _Count
    checkpoints: _Count
    content: bool
    exported_at: str
    policy: str | msgspec.UnsetType = msgspec.UNSET  # the service's C2SP tlog-policy


class _EntryLine(msgspec.Struct, tag_field="type", tag="entry", forbid_unknown_fields=True):
    seq: Annotated[int, msgspec.Meta(ge=1)]
    header: bytes
    entry_hash: Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
    content: bytes | msgspec.UnsetType = msgspec.UNSET
    content_erased: Literal[True] | msgspec.UnsetType = msgspec.UNSET


class _CheckpointLine(
    msgspec.Struct, tag_field="type", tag="checkpoint", forbid_unknown_fields=True
):
    note: str


_DECODER = msgspec.json.Decoder(_Manifest | _EntryLine | _CheckpointLine)
_ENCODER = msgspec.json.Encoder()


def write_bundle(  # noqa: PLR0913 - the keyword-only fields are the manifest's
    out: IO[str],
    *,
    origin: str,
    public_key: bytes,
    vkey: str,
    entries: Iterable[StoredEntry],
    entry_count: int,
    checkpoints: Sequence[str],
    include_content: bool,
    exported_at: str,
) -> None:
    """Write a bundle, streaming the entries.

    The manifest comes first, so ``entry_count`` must be known; :class:`ValueError` if
    the entries do not match it. The output is then incomplete and must be thrown away.
    """
    for line in bundle_head(
        origin=origin,
        public_key=public_key,
        vkey=vkey,
        entry_count=entry_count,
        checkpoint_count=len(checkpoints),
        include_content=include_content,
        exported_at=exported_at,
    ):
        out.write(line + "\n")
    written = 0
    for entry in entries:
        out.write(entry_line(entry, include_content=include_content) + "\n")
        written += 1
    if written != entry_count:
        raise ValueError("the number of entries differs from entry_count")
    for note in checkpoints:
        out.write(checkpoint_line(note) + "\n")


def bundle_head(
    *,
    origin: str,
    public_key: bytes,
    vkey: str,
    entry_count: int,
    checkpoint_count: int,
    include_content: bool,
    exported_at: str,
    policy: str | None = None,
) -> list[str]:
    """The lines before the entries (the manifest), without line ends.

    For writers that stream a bundle themselves: these, then :func:`entry_line` for each
    of ``entry_count`` entries in order, then :func:`checkpoint_line` for each of
    ``checkpoint_count`` notes, each line followed by ``"\\n"``.
    """
    if vkey != verifier_key(origin, public_key):
        raise ValueError("the verifier key does not belong to this origin and public key")
    if entry_count < 0 or checkpoint_count < 0:
        raise ValueError("counts are at least 0")
    manifest = _Manifest(
        format=BUNDLE_FORMAT,
        origin=origin,
        public_key=public_key,
        vkey=vkey,
        entries=entry_count,
        checkpoints=checkpoint_count,
        content=include_content,
        exported_at=exported_at,
    )
    if policy is not None:
        manifest.policy = policy
    return [_ENCODER.encode(manifest).decode("utf-8")]


def entry_line(entry: StoredEntry, *, include_content: bool) -> str:
    """One entry's line, without the line end; with content, an entry without any (its
    ciphertext emptied by an erasure) says ``content_erased``."""
    line = _EntryLine(seq=entry.seq, header=entry.header, entry_hash=entry.entry_hash.hex())
    if include_content:
        if entry.content is None:
            line.content_erased = True
        else:
            line.content = entry.content
    return _ENCODER.encode(line).decode("utf-8")


def checkpoint_line(note: str) -> str:
    """One checkpoint's line, without the line end (the note with its cosignatures)."""
    return _ENCODER.encode(_CheckpointLine(note=note)).decode("utf-8")


def verify_bundle(
    lines: Iterable[str],
    *,
    trusted: str | None = None,
    expected_public_key: bytes | None = None,
    expected_vkey: str | None = None,
) -> Verification:
    """Verify a bundle's lines: its shape, its counts, then the journal it carries.

    ``expected_vkey`` pins the whole verifier key: the key's name (the origin the
    checkpoints' signature lines carry), its key id and its bytes.
    """
    reader = _Reader(iter(lines))
    manifest = reader.manifest
    if manifest is None:
        return _bad(0, None, Reason.MALFORMED_BUNDLE)
    if expected_public_key is not None and manifest.public_key != expected_public_key:
        return _bad(0, None, Reason.PUBLIC_KEY)
    if expected_vkey is not None and manifest.vkey != expected_vkey:
        return _bad(0, None, Reason.PUBLIC_KEY)
    result = verify_journal(
        reader.entries,
        reader.checkpoints,
        public_key=manifest.public_key,
        origin=manifest.origin,
        trusted=trusted,
    )
    reader.finish()
    if reader.malformed:
        return _bad(reader.entries_read, None, Reason.MALFORMED_BUNDLE)
    if (reader.entries_read, reader.checkpoints_read) != (manifest.entries, manifest.checkpoints):
        return _bad(reader.entries_read, reader.first_missing(), Reason.BUNDLE_COUNT)
    return result


def _bad(entries: int, first_bad_seq: int | None, reason: Reason) -> Verification:
    return Verification(
        ok=False, entries=entries, first_bad_seq=first_bad_seq, reason=reason, checkpoint=None
    )


class _Reader:
    """One pass over the lines: the manifest, then entries, then checkpoints.

    The verifier reads :attr:`entries` up to the first bad one and then
    :attr:`checkpoints`, which first skips (and counts) the entry lines it left.
    """

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.malformed = False
        self.entries_read = 0
        self.checkpoints_read = 0
        self._next_seq = 1
        self._missing: int | None = None
        self._held: str | None = None  # the first checkpoint, met while reading entries
        self.manifest = self._read_manifest()
        self.entries = self._entry_lines()
        self.checkpoints = self._checkpoint_lines()

    def finish(self) -> None:
        for _ in self.checkpoints:
            pass

    def first_missing(self) -> int | None:
        """The first seq without an entry line, if the entry lines are fewer than promised."""
        assert self.manifest is not None
        if self.entries_read >= self.manifest.entries:
            return None
        return self._missing if self._missing is not None else self._next_seq

    def _read(self) -> _Manifest | _EntryLine | _CheckpointLine | None:
        if self.malformed:
            return None
        try:
            line = next(self._lines, None)
            return None if line is None else _DECODER.decode(line)
        except ValueError:  # msgspec.DecodeError, and undecodable bytes in a file
            self.malformed = True
            return None

    def _read_manifest(self) -> _Manifest | None:
        line = self._read()
        if not isinstance(line, _Manifest) or len(line.public_key) != 32:
            return None
        if line.vkey != verifier_key(line.origin, line.public_key):
            return None
        return line

    def _entry_lines(self) -> Iterator[StoredEntry]:
        while (line := self._read()) is not None:
            if isinstance(line, _CheckpointLine):
                self.checkpoints_read += 1
                self._held = line.note
                return
            if not isinstance(line, _EntryLine) or not self._fits(line):
                self.malformed = True
                return
            self._count(line.seq)
            content = None if isinstance(line.content, msgspec.UnsetType) else line.content
            yield StoredEntry(line.seq, line.header, bytes.fromhex(line.entry_hash), content)

    def _checkpoint_lines(self) -> Iterator[str]:
        for _ in self.entries:
            pass
        if self._held is not None:
            yield self._held
        while (line := self._read()) is not None:
            if not isinstance(line, _CheckpointLine):
                self.malformed = True
                return
            self.checkpoints_read += 1
            yield line.note

    def _fits(self, line: _EntryLine) -> bool:
        assert self.manifest is not None
        has_content = not isinstance(line.content, msgspec.UnsetType)
        erased = line.content_erased is True
        return has_content != erased if self.manifest.content else not (has_content or erased)

    def _count(self, seq: int) -> None:
        self.entries_read += 1
        if seq > self._next_seq and self._missing is None:
            self._missing = self._next_seq
        self._next_seq = max(self._next_seq, seq + 1)
