"""The KSP document: one version of a meeting's list, as data, and the difference of two."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ksp.domain.circulation import Recipient
from ksp.domain.lists import ListEntry
from ksp.domain.meetings import Meeting

__all__ = [
    "DocumentVersion",
    "ListDiff",
    "Printable",
    "changes_of",
    "diff_lists",
    "document_body",
    "entries_of",
    "kind_of",
    "meeting_facts",
]

FORMAT = "ksp-document/1"


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """What the journal holds for a version, with its plaintext parsed."""

    document_id: str
    meeting_id: str
    version: int
    sha256: str
    created_at: dt.datetime
    created_by_sub: str
    reason: str
    entries: tuple[ListEntry, ...]
    body: Mapping[str, Any]
    kind: str = "list"  # or "minutes"


def document_body(
    meeting: Meeting,
    *,
    document_id: str,
    version: int,
    created_at: dt.datetime,
    created_by_sub: str,
    reason: str,
    entries: Sequence[ListEntry],
    created_by_name: str | None = None,
) -> dict[str, Any]:
    """The version as plain data; its canonical bytes are what the journal commits to.

    ``created_by_name`` is the author's name where the token carried one; the document
    shows it (else the meeting's KiF unit), never the login id in ``created_by``."""
    return {
        "format": FORMAT,
        "document_id": document_id,
        "version": version,
        "created_at": created_at.isoformat(),
        "created_by": created_by_sub,
        "created_by_name": created_by_name,
        "reason": reason,
        "meeting": meeting_facts(meeting),
        "entries": [asdict(entry) for entry in entries],
    }


def meeting_facts(meeting: Meeting) -> dict[str, Any]:
    """The meeting as a document names it."""
    return {
        "id": meeting.id,
        "title": meeting.title,
        "scheduled_for": meeting.scheduled_for.isoformat(),
        "municipality_code": meeting.municipality_code,
        "police_district": meeting.police_district,
        "kif_unit": meeting.kif_unit,
    }


def entries_of(body: Mapping[str, Any]) -> tuple[ListEntry, ...]:
    return tuple(ListEntry(**entry) for entry in body["entries"])


def kind_of(body: Mapping[str, Any]) -> str:
    """``minutes`` for a minutes version, else ``list``."""
    return "minutes" if body.get("kind") == "minutes" else "list"


@dataclass(frozen=True, slots=True)
class ListDiff:
    added: tuple[ListEntry, ...]
    removed: tuple[ListEntry, ...]
    changed: tuple[tuple[ListEntry, ListEntry], ...]  # (before, after)


def diff_lists(before: Sequence[ListEntry], after: Sequence[ListEntry]) -> ListDiff:
    """Entries added, removed, and changed (same case, other content) from one to the other."""
    old = {entry.case_id: entry for entry in before}
    new = {entry.case_id: entry for entry in after}
    return ListDiff(
        added=tuple(entry for entry in after if entry.case_id not in old),
        removed=tuple(entry for entry in before if entry.case_id not in new),
        changed=tuple(
            (old[entry.case_id], entry)
            for entry in after
            if entry.case_id in old and old[entry.case_id] != entry
        ),
    )


@dataclass(frozen=True, slots=True)
class Printable:
    """A version as its document shows it: with the meeting's participants, and what
    changed since the previous version (None for the first)."""

    document: DocumentVersion
    participants: Sequence[Recipient]
    changes: ListDiff | None


def changes_of(previous: DocumentVersion | None, document: DocumentVersion) -> ListDiff | None:
    """What changed from ``previous`` (None: ``document`` is the first) to ``document``."""
    return None if previous is None else diff_lists(previous.entries, document.entries)
