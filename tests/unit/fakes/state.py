"""What the fakes hold: one plain, copyable state of every store."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ksp.domain.actions import ActionView
from ksp.domain.cases import Case, Triage
from ksp.domain.exchanges import Exchange, ExchangeRecord
from ksp.domain.meetings import Meeting
from ksp.services.ports import OutcomeRow, StoredResult, VersionRecord


@dataclass(frozen=True, slots=True)
class LoggedRead:
    """One access-log row as the fake keeps it: the fields the real table holds, and the
    subjects' CPR digits (the real store keeps only their keyed hashes)."""

    at: dt.datetime
    sub: str
    role: str
    unit: str
    resource: str
    resource_id: str | None
    subjects: tuple[str, ...]
    purpose: str


@dataclass(frozen=True, slots=True)
class JournalRow:
    seq: int
    kind: str
    ref: str
    author: str
    created_at: dt.datetime
    plaintext: bytes
    plaintext_sha256: str


@dataclass
class State:
    cases: dict[str, Case] = field(default_factory=dict)
    triages: dict[str, list[Triage]] = field(default_factory=dict)
    list_entries: dict[tuple[str, int], tuple[str, ...]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str, str], StoredResult] = field(default_factory=dict)
    access_log: list[LoggedRead] = field(default_factory=list)
    meetings: dict[str, Meeting] = field(default_factory=dict)
    # document id -> (meeting id, kind: "list" or "minutes")
    documents: dict[str, tuple[str, str]] = field(default_factory=dict)
    versions: dict[str, list[VersionRecord]] = field(default_factory=dict)
    journal: list[JournalRow] = field(default_factory=list)
    circulated: set[tuple[str, int]] = field(default_factory=set)
    participations: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    exchanges: dict[str, Exchange] = field(default_factory=dict)
    exchange_records: list[ExchangeRecord] = field(default_factory=list)
    outcomes: list[OutcomeRow] = field(default_factory=list)
    actions: dict[str, ActionView] = field(default_factory=dict)
    # retention (unit.fakes.erasure): what may fall due, and what was erased or destroyed
    dated_versions: list[tuple[str, int, str, dt.datetime]] = field(default_factory=list)
    dated_rows: list[tuple[str, str, dt.datetime, tuple[int, ...]]] = field(default_factory=list)
    erased_entries: dict[int, int] = field(default_factory=dict)  # seq -> erasure entry
    erased_rows: set[tuple[str, str]] = field(default_factory=set)
    destroyed_keys: set[str] = field(default_factory=set)
