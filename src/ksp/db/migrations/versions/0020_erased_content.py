"""Erasing the ciphertext of a journal entry sealed before data keys (issue 13).

An entry written before ``0017_data_keys`` is sealed under ``KSP_DATA_KEYS``: it has no key
of its own to destroy. Its header commits to the SHA-256 of its ciphertext, and the entry
hash (the chain link and the Merkle leaf) is over the header alone, so the ciphertext itself
can go and the journal still verifies: the erasure store empties it.

``journal_entries`` stays immutable, with one door narrower than the other tables': an
UPDATE is let through only inside an erasure (a row of ``erasure_in_progress``, as in
``0018_retention``), of an entry already marked erased (``erased_entries``), that keeps its
sequence number, header and entry hash and sets its content to nothing (zero bytes).
DELETE, TRUNCATE and every other UPDATE are refused as before. On PostgreSQL the service
role is granted UPDATE on that one column.

Revision ID: 0020_erased_content
Revises: 0019_recipient_delivery
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import context, op

revision = "0020_erased_content"
down_revision = "0019_recipient_delivery"
branch_labels = None
depends_on = None

# What an UPDATE of journal_entries must be to pass: the content of an erased entry emptied.
_CONTENT_ERASED = (
    "EXISTS (SELECT 1 FROM erasure_in_progress)"
    " AND NEW.seq = OLD.seq AND NEW.header = OLD.header AND NEW.entry_hash = OLD.entry_hash"
    " AND length(NEW.content) = 0"
    " AND EXISTS (SELECT 1 FROM erased_entries WHERE erased_entries.seq = OLD.seq)"
)
_REFUSE_SQLITE = "SELECT RAISE(ABORT, 'journal_entries rows are immutable')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_trigger(f"WHEN NOT ({_CONTENT_ERASED}) ")
        return
    op.execute(
        "CREATE FUNCTION ksp_refuse_unless_content_erased() RETURNS trigger LANGUAGE plpgsql "
        "AS $$ BEGIN IF TG_OP = 'UPDATE' THEN "  # NEW is NULL for a DELETE: test it apart
        f"IF {_CONTENT_ERASED} THEN RETURN NEW; END IF; END IF; "
        "RAISE EXCEPTION 'ksp: % on % is refused: written rows are immutable', "
        "TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; END $$"
    )
    _postgresql_trigger("ksp_refuse_unless_content_erased")
    role = context.config.attributes.get("service_role")
    if role:
        op.execute(f'GRANT UPDATE (content) ON journal_entries TO "{role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_trigger("")
        return
    _postgresql_trigger("ksp_refuse_change")
    op.execute("DROP FUNCTION ksp_refuse_unless_content_erased()")
    role = context.config.attributes.get("service_role")
    if role:
        op.execute(f'REVOKE UPDATE (content) ON journal_entries FROM "{role}"')


def _postgresql_trigger(function: str) -> None:
    op.execute("DROP TRIGGER journal_entries_immutable ON journal_entries")
    op.execute(
        "CREATE TRIGGER journal_entries_immutable BEFORE UPDATE OR DELETE ON journal_entries "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()"
    )
    op.execute("ALTER TABLE journal_entries ENABLE ALWAYS TRIGGER journal_entries_immutable")


def _sqlite_trigger(when: str) -> None:
    op.execute("DROP TRIGGER journal_entries_no_update")
    op.execute(
        "CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries "
        f"{when}BEGIN {_REFUSE_SQLITE}; END"
    )
