"""Bodies of the audit routes: the access log, the journal and its verification."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from ksp.api.schemas.common import (
    CprText,
    _In,
)

__all__ = [
    "AccessLogSearch",
    "AccessRecordOut",
    "CheckpointOut",
    "JournalEntryOut",
    "JournalPage",
    "VerificationOut",
    "WitnessedOut",
]


class AccessLogSearch(_In):
    cpr: CprText
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100
    offset: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0


class AccessRecordOut(msgspec.Struct, kw_only=True):
    id: int
    at: dt.datetime
    sub: str
    role: str
    unit: str
    resource: str
    resource_id: str | None
    subject_count: int
    request_id: str | None
    purpose: str  # why it was read: case-handling, triage, meeting-preparation, ...


class JournalEntryOut(msgspec.Struct, kw_only=True):
    seq: int
    kind: str
    ref: str
    author: str
    created_at: str
    ciphertext_sha256: str
    plaintext_sha256: str
    prev: str
    entry_hash: str


class JournalPage(msgspec.Struct, kw_only=True):
    items: list[JournalEntryOut]
    next_after_seq: int | None


class CheckpointOut(msgspec.Struct, kw_only=True):
    tree_size: int
    root: str
    note: str


class WitnessedOut(msgspec.Struct, kw_only=True):
    """KSP_WITNESS_POLICY's view: the newest checkpoint whose cosignatures meet the quorum
    (with the note carrying them), the latest checkpoint's cosigners, and whether a witness
    showed the journal went backwards."""

    quorum_tree_size: int | None
    quorum_cosigners: list[str]
    quorum_checkpoint: str | None
    latest_tree_size: int | None
    latest_cosigners: list[str]
    rolled_back: bool


class VerificationOut(msgspec.Struct, kw_only=True):
    ok: bool
    entries: int
    first_bad_seq: int | None
    reason: str | None
    checkpoint: CheckpointOut | None
    witnessed: WitnessedOut | None = None  # None without a witness policy
