"""The database's refusal to change written rows, shared by the migrations that add
immutable tables (guide 3.3.7: a journalised document cannot be updated).

SQLite: triggers abort UPDATE, DELETE and an INSERT OR REPLACE over an existing row (REPLACE
deletes without firing delete triggers). PostgreSQL: row and TRUNCATE triggers, enabled
ALWAYS, calling ``ksp_refuse_change()`` (made by migration 0002); and, when the service's
role is configured, only SELECT and INSERT granted to it.
"""

from __future__ import annotations

from alembic import context, op

__all__ = ["refuse_changes"]


def refuse_changes(table: str, same_row: str) -> None:
    """Guard ``table``; ``same_row`` is the SQL by which a new row names an existing one."""
    if op.get_bind().dialect.name == "sqlite":
        refuse = f"SELECT RAISE(ABORT, '{table} rows are immutable')"
        op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN {refuse}; END")
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN {refuse}; END")
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_row}) BEGIN {refuse}; END"
        )
        return
    op.execute(
        f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION ksp_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION ksp_refuse_change()"
    )
    op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_immutable")
    op.execute(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_no_truncate")
    role = context.config.attributes.get("service_role")
    if role:
        op.execute(f'REVOKE ALL ON {table} FROM "{role}"')
        op.execute(f'GRANT SELECT, INSERT ON {table} TO "{role}"')
