"""Migration 0013 on a database written before it: each meeting's document stays its list,
a second document of kind ``minutes`` is allowed, and the documents stay immutable."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from ksp.db.migrate import upgrade
from support.own_database import own_database

MEETING = (
    "INSERT INTO meetings (id, kif_unit, municipality_code, police_district, scheduled_for,"
    " title, created_at, created_by_sub) VALUES ('m1', 'kif-x', 101, 'koebenhavn',"
    " '2026-12-10 09:00:00', 'Møde', '2026-12-01 09:00:00', 'kif-x')"
)
JOURNAL = "INSERT INTO journal_entries VALUES (1, :b, :b, :b)"
VERSION = (
    "INSERT INTO document_versions VALUES ('d1', 1, 1, 'ab', '2026-12-01 09:00:00', 'kif-x', :b, 0)"
)


async def test_an_old_document_becomes_the_list_and_a_minutes_document_is_allowed(
    backend: str, tmp_path: Path
) -> None:
    """Guide 3.3.7: the referat is a document of its own beside the list; nothing written
    before is lost, and written documents still cannot be changed or removed."""
    async with own_database(backend, tmp_path / "kinds.sqlite3", "ksp_kinds_") as engine:
        await upgrade(engine, "0012_journal_tree_nodes")
        async with engine.begin() as connection:
            await connection.execute(text(MEETING))
            await connection.execute(
                text(
                    "INSERT INTO documents (id, meeting_id, created_at)"
                    " VALUES ('d1', 'm1', '2026-12-01 09:00:00')"
                )
            )
            await connection.execute(text(JOURNAL), {"b": b"x"})
            await connection.execute(text(VERSION), {"b": b"x"})
        await upgrade(engine)
        async with engine.begin() as connection:
            rows = (await connection.execute(text("SELECT id, kind FROM documents"))).all()
            assert [tuple(r) for r in rows] == [("d1", "list")]
            await connection.execute(
                text(
                    "INSERT INTO documents (id, meeting_id, kind, created_at)"
                    " VALUES ('d2', 'm1', 'minutes', '2026-12-01 10:00:00')"
                )
            )
        for statement in (
            (
                "INSERT INTO documents (id, meeting_id, kind, created_at)"
                " VALUES ('d3', 'm1', 'minutes', '2026-12-01 11:00:00')"
            ),
            "UPDATE documents SET kind = 'minutes' WHERE id = 'd1'",
            "DELETE FROM documents WHERE id = 'd2'",
        ):
            with pytest.raises(Exception):  # noqa: B017, PT011 - the driver's own error types
                async with engine.begin() as connection:
                    await connection.execute(text(statement))
        async with engine.begin() as connection:
            count = (await connection.execute(text("SELECT count(*) FROM documents"))).scalar()
        assert count == 2
