"""The tables. Personal data lives only in ``*_ct`` columns (AES-GCM, see ``ksp.crypto``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect

__all__ = [
    "IMMUTABLE_TABLES",
    "access_log",
    "access_log_subjects",
    "action_statuses",
    "actions",
    "attendance_records",
    "case_revisions",
    "case_triages",
    "cases",
    "circulations",
    "document_versions",
    "documents",
    "erased_entries",
    "erasure_in_progress",
    "erasure_requests",
    "exchange_records",
    "exchanges",
    "idempotency_keys",
    "inquiries",
    "inquiry_decisions",
    "journal_checkpoints",
    "journal_cosignatures",
    "journal_entries",
    "journal_tree_nodes",
    "list_entries",
    "meeting_participants",
    "meetings",
    "metadata",
    "outbox",
    "outcomes",
    "recipients",
    "sign_in_attempts",
    "web_sessions",
]


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        utc = value.astimezone(dt.UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:  # noqa: ARG002
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(36)
UNIT = String(100)

cases = Table(
    "cases",
    metadata,
    Column("id", ID, primary_key=True),
    Column("submitted_at", UtcDateTime, nullable=False),
    Column("submitted_by_sub", String(200), nullable=False),
    Column("submitted_by_role", String(20), nullable=False),
    Column("submitted_by_unit", UNIT, nullable=False),
    Column("kif_unit", UNIT, nullable=False),
    Column("status", String(20), nullable=False),
    Column("custody", String(20), nullable=False),
    Column("radicalisation_concern", Boolean, nullable=False),
    Column("security_notified_on", Date),
    Column("municipality_code", Integer, nullable=False),
    Column("police_district", String(40), nullable=False),
    Column("detained_since", Date, nullable=False),
    Column("released_on", Date),
    Column("urgent", Boolean, nullable=False),
    Column("meeting_id", ID),
    Column("name_ct", LargeBinary, nullable=False),
    Column("cpr_ct", LargeBinary, nullable=False),
    Column("concern_ct", LargeBinary, nullable=False),
    Column("cpr_hash", LargeBinary(32), nullable=False, index=True),
    Column("triaged_at", UtcDateTime),
    Column("triaged_by_sub", String(200)),
    Column("triage_reason_ct", LargeBinary),
    Column("triage_decision", String(20)),
    Column("erased_at", UtcDateTime),  # 0015: personal fields erased (retention, decision)
    Index("ix_cases_kif_unit_submitted_at", "kif_unit", "submitted_at"),
    Index("ix_cases_submitted_by_unit_submitted_at", "submitted_by_unit", "submitted_at"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("sub", String(200), primary_key=True),
    Column("unit", UNIT, primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_digest", LargeBinary(32), nullable=False),
    Column("response", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

access_log = Table(
    "access_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("sub", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit", UNIT, nullable=False),
    Column("resource", String(40), nullable=False),
    Column("resource_id", String(100)),  # a case id, or "document/version", "document/1..2"
    Column("subject_count", Integer, nullable=False),
    Column("request_id", String(64)),
    Column("purpose", String(40), nullable=False),  # ksp.domain.access.Purpose
)

access_log_subjects = Table(
    "access_log_subjects",
    metadata,
    Column("access_log_id", Integer, ForeignKey("access_log.id"), primary_key=True),
    Column("cpr_hash", LargeBinary(32), primary_key=True, index=True),
)

meetings = Table(
    "meetings",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kif_unit", UNIT, nullable=False, index=True),
    Column("municipality_code", Integer, nullable=False),
    Column("police_district", String(40), nullable=False),
    Column("scheduled_for", UtcDateTime, nullable=False),
    Column("title", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("location", String(200)),
    Column("sequence", Integer, nullable=False, server_default="0"),
    Column("held_on", Date),
)

documents = Table(
    "documents",
    metadata,
    Column("id", ID, primary_key=True),
    Column("meeting_id", ID, ForeignKey("meetings.id"), nullable=False),
    Column("kind", String(20), nullable=False, server_default="list"),  # "list" or "minutes"
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("meeting_id", "kind"),
)

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("header", LargeBinary, nullable=False),
    Column("entry_hash", LargeBinary(32), nullable=False),
    Column("content", LargeBinary, nullable=False),
)

journal_checkpoints = Table(
    "journal_checkpoints",
    metadata,
    Column("tree_size", Integer, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", String(2000), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)

# A witness's tlog-cosignature/v1 line on the checkpoint at tree_size (migration 0014).
journal_cosignatures = Table(
    "journal_cosignatures",
    metadata,
    Column(
        "tree_size",
        Integer,
        ForeignKey("journal_checkpoints.tree_size"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("witness", String(200), primary_key=True),
    Column("line", String(1000), nullable=False),
)

# Every complete perfect subtree of the journal's Merkle tree: the root of leaves
# [idx * 2**level, (idx + 1) * 2**level), level 0 being the leaf (entry) hashes. Written with
# the entry that completes it, never changed (migration 0006); proofs read O(log n) of them.
journal_tree_nodes = Table(
    "journal_tree_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

document_versions = Table(
    "document_versions",
    metadata,
    Column("document_id", ID, ForeignKey("documents.id"), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("journal_seq", Integer, ForeignKey("journal_entries.seq"), nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
    Column("reason_ct", LargeBinary, nullable=False),
    Column("entry_count", Integer, nullable=False),
)

recipients = Table(
    "recipients",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kif_unit", UNIT, nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("agency", String(20), nullable=False),
    Column("unit", UNIT, nullable=False),
    Column("fingerprint", String(64), nullable=False),  # 0014: 64 for a certificate
    Column("expires_at", UtcDateTime),
    Column("public_key", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
    Column("key_revoked", Boolean, nullable=False, server_default=false()),  # 0006
    Column("key_replaced_at", UtcDateTime),
    Column("key_replaced_by_sub", String(200)),
    Column("retired_at", UtcDateTime),
    Column("retired_by_sub", String(200)),
    Column("key_format", String(10), nullable=False, server_default="openpgp"),  # 0014
    Column("delivery", String(10), nullable=False, server_default="encrypted"),  # 0019
)

meeting_participants = Table(
    "meeting_participants",
    metadata,
    Column("meeting_id", ID, ForeignKey("meetings.id"), primary_key=True),
    Column("recipient_id", ID, ForeignKey("recipients.id"), primary_key=True),
    Column("added_at", UtcDateTime, nullable=False),
    Column("added_by_sub", String(200), nullable=False),
)

circulations = Table(
    "circulations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("document_id", ID, ForeignKey("documents.id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("meeting_id", ID, ForeignKey("meetings.id"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
    Column("again_reason_ct", LargeBinary),  # encrypted: a reason may name people
)

# The transactional outbox: only ciphertext (a whole PGP/MIME or S/MIME message) is stored.
# A message belongs to a circulation or, since 0014, to a meeting's cancellation notice.
outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True),
    Column("circulation_id", ID, ForeignKey("circulations.id"), index=True),
    Column("cancelled_meeting_id", ID, ForeignKey("meetings.id"), index=True),  # 0014
    Column("recipient_id", ID, ForeignKey("recipients.id"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("message_id", String(200), nullable=False, unique=True),
    Column("message", LargeBinary, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(200)),
    Column("sent_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
)

inquiries = Table(
    "inquiries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kif_unit", UNIT, nullable=False, index=True),
    Column("cpr_ct", LargeBinary, nullable=False),
    Column("cpr_hash", LargeBinary(32), nullable=False, index=True),
    Column("from_agency", String(20), nullable=False),
    Column("received_on", Date, nullable=False),
    Column("detained_since", Date),
    Column("released_on", Date),
    Column("suggestion", String(10)),
    Column("window_days", Integer),
    Column("policy", String(60), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
    Column("created_by_unit", UNIT, nullable=False, index=True),
    Column("erased_at", UtcDateTime),  # 0015
)

inquiry_decisions = Table(
    "inquiry_decisions",
    metadata,
    Column("inquiry_id", ID, ForeignKey("inquiries.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("journal_seq", Integer, ForeignKey("journal_entries.seq"), nullable=False, unique=True),
    Column("eligible", Boolean, nullable=False),
    Column("justification_ct", LargeBinary),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("decided_by_sub", String(200), nullable=False),
)

exchanges = Table(
    "exchanges",
    metadata,
    Column("id", ID, primary_key=True),
    Column("case_id", ID, ForeignKey("cases.id"), nullable=False, index=True),
    Column("occurred_on", Date, nullable=False),
    Column("agencies", String(60), nullable=False),
    Column("meeting_id", ID),
    Column("summary_ct", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
    Column("journal_seq", Integer, ForeignKey("journal_entries.seq"), nullable=False, unique=True),
    Column("erased_at", UtcDateTime),  # 0015
)

exchange_records = Table(
    "exchange_records",
    metadata,
    Column("exchange_id", ID, ForeignKey("exchanges.id"), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("journal_seq", Integer, ForeignKey("journal_entries.seq"), nullable=False, unique=True),
    Column("content_ct", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
)

# Browser sessions (issue 9): keyed by the SHA-256 of the cookie's secret, never the secret.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("key", LargeBinary(32), primary_key=True),
    Column("sub", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("unit", UNIT, nullable=False),
    Column("email_ct", LargeBinary),
    Column("acr", String(200)),
    Column("started_at", UtcDateTime, nullable=False, index=True),
    Column("last_seen_at", UtcDateTime, nullable=False),
)

# One trip to the provider: keyed by the SHA-256 of its `state`, taken once by the callback.
sign_in_attempts = Table(
    "sign_in_attempts",
    metadata,
    Column("key", LargeBinary(32), primary_key=True),
    Column("nonce", String(100), nullable=False),
    Column("code_verifier", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

# Rows of these tables are never changed or removed; the database refuses it (migration 0002).
IMMUTABLE_TABLES = (
    "journal_entries",
    "journal_checkpoints",
    "journal_cosignatures",
    "document_versions",
    "documents",
)


def _journal_seq() -> Column[int]:
    return Column(
        "journal_seq", Integer, ForeignKey("journal_entries.seq"), nullable=False, unique=True
    )


# Meeting management (issue 8): immutable rows beside their journal entries; free text and
# staff names live in the journal (encrypted) or in ``*_ct`` columns.
attendance_records = Table(
    "attendance_records",
    metadata,
    Column("meeting_id", ID, ForeignKey("meetings.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    _journal_seq(),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("meeting_id", ID, ForeignKey("meetings.id"), nullable=False, index=True),
    Column("case_id", ID, ForeignKey("cases.id"), nullable=False),
    Column("decision", String(40), nullable=False),
    Column("summary_ct", LargeBinary, nullable=False),
    Column("corrects", ID, ForeignKey("outcomes.id"), unique=True),
    Column("exchange_id", ID, ForeignKey("exchanges.id"), nullable=False),
    _journal_seq(),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
)

actions = Table(
    "actions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("outcome_id", ID, ForeignKey("outcomes.id"), nullable=False),
    Column("meeting_id", ID, ForeignKey("meetings.id"), nullable=False, index=True),
    Column("case_id", ID, ForeignKey("cases.id"), nullable=False),
    Column("agency", String(20), nullable=False),
    Column("unit", UNIT, nullable=False, index=True),
    Column("description_ct", LargeBinary, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

action_statuses = Table(
    "action_statuses",
    metadata,
    Column("action_id", ID, ForeignKey("actions.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("status", String(40), nullable=False),
    Column("note_ct", LargeBinary),
    _journal_seq(),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by_sub", String(200), nullable=False),
)

case_revisions = Table(
    "case_revisions",
    metadata,
    Column("case_id", ID, ForeignKey("cases.id"), primary_key=True),
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("fields", String(400), nullable=False),  # field names, comma-separated
    Column("reason_ct", LargeBinary, nullable=False),
    Column("before_ct", LargeBinary, nullable=False),  # the replaced values, JSON, encrypted
    Column("by_sub", String(200), nullable=False),
    Column("by_unit", UNIT, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

case_triages = Table(
    "case_triages",
    metadata,
    Column("case_id", ID, ForeignKey("cases.id"), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("decision", String(20), nullable=False),
    Column("reason_ct", LargeBinary),
    Column("at", UtcDateTime, nullable=False),
    Column("by_sub", String(200), nullable=False),
    Column("corrects", Boolean, nullable=False),
)

list_entries = Table(
    "list_entries",
    metadata,
    Column("document_id", ID, primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("case_id", ID, primary_key=True, index=True),
    ForeignKeyConstraint(
        ["document_id", "version"], ["document_versions.document_id", "document_versions.version"]
    ),
)


# Retention and erasure (issue 13, migration 0015). An erased journal entry keeps its row
# (the chain hashes its ciphertext); this says it was erased, and by which erasure entry.
erased_entries = Table(
    "erased_entries",
    metadata,
    Column(
        "seq", Integer, ForeignKey("journal_entries.seq"), primary_key=True, autoincrement=False
    ),
    Column("erasure_seq", Integer, ForeignKey("journal_entries.seq"), nullable=False, index=True),
    Column("erased_at", UtcDateTime, nullable=False),
)

# A person's erasure on a recorded decision: asked for by kif, carried out when an auditor
# countersigns. The CPR is kept only as its keyed hash, and only until carried out.
erasure_requests = Table(
    "erasure_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kif_unit", UNIT, nullable=False),
    Column("cpr_hash", LargeBinary(32)),
    Column("reason_ct", LargeBinary, nullable=False),
    Column("requested_at", UtcDateTime, nullable=False),
    Column("requested_by_sub", String(200), nullable=False),
    Column("countersigned_at", UtcDateTime),
    Column("countersigned_by_sub", String(200)),
    Column("erasure_seq", Integer, ForeignKey("journal_entries.seq")),
)

# Present, within its own transaction only, while an erasure blanks guarded rows (0015).
erasure_in_progress = Table("erasure_in_progress", metadata, Column("id", ID, primary_key=True))
# One data key per journal entry (owner ``journal:<seq>``), per case (``case:<id>``) and per
# row with personal fields beside them (exchange, outcome, inquiry, version, session, erasure
# request: db/sealed_fields.py), wrapped under a KEK (issue 13). Destroying a key sets
# ``wrapped`` and ``kek_id`` to NULL; a session's key row is deleted with the session.
data_keys = Table(
    "data_keys",
    metadata,
    Column("key_id", String(40), primary_key=True),
    Column("owner", String(200), nullable=False, unique=True),
    Column("kek_id", String(200), index=True),
    Column("wrapped", LargeBinary),
    Column("destroyed_at", UtcDateTime),
)
