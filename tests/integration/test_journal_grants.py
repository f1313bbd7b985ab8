"""PostgreSQL: the migration grants the service role only SELECT and INSERT on the journal's
tables (issue 3), so even with the triggers gone the role cannot change a version."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import POSTGRES_URL
from ksp.db.engine import create_engine
from ksp.db.migrate import upgrade
from ksp.db.url import async_database_url


async def test_the_service_role_may_only_read_and_insert_the_journal(engine: AsyncEngine) -> None:
    """GRANT SELECT, INSERT only: UPDATE and DELETE fail on permissions, not just triggers."""
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's")
    assert POSTGRES_URL is not None
    tag = uuid.uuid4().hex[:10]
    schema, role = f"ksp_grants_{tag}", f"ksp_service_{tag}"
    admin = create_engine(async_database_url(POSTGRES_URL), schema=schema)
    async with admin.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        await connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        await connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
    try:
        await upgrade(admin, service_role=role)
        async with admin.connect() as connection:
            await connection.execute(text(f'SET ROLE "{role}"'))
            await connection.execute(text("SELECT count(*) FROM journal_entries"))
            for statement in (  # 0020_erased_content grants UPDATE of the content alone
                "UPDATE journal_entries SET seq = seq",
                "UPDATE journal_entries SET header = header",
                "DELETE FROM journal_entries",
                "DELETE FROM journal_checkpoints",
                "TRUNCATE document_versions",
            ):
                with pytest.raises(DBAPIError, match="permission denied"):
                    async with connection.begin_nested():
                        await connection.execute(text(statement))
            # The content's door (an erased entry's content emptied) is its trigger's to
            # keep (test_erased_content). The access log has one door since 0018_retention:
            # UPDATE and DELETE are granted and its rows' trigger refuses them outside an
            # erasure (test_retention).
            await connection.rollback()
    finally:
        async with admin.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await connection.execute(text(f'DROP OWNED BY "{role}"'))
            await connection.execute(text(f'DROP ROLE "{role}"'))
        await admin.dispose()
