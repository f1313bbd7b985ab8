"""The baseline for ``bench/run.py`` and ``bench/load.py``: the least a Litestar +
SQLAlchemy endpoint does.

One ``POST /items`` that decodes a small msgspec struct and inserts one row with SQLAlchemy
async (an ``AsyncSession``, one transaction), ``GET /items/{id}`` that reads one row back
(404 if there is none), so that ``load.py``'s baseline has a read beside the write, and
``GET /health``. It uses the service's driver and pool (aiosqlite with WAL,
``synchronous=NORMAL``, a busy timeout and one connection, or asyncpg with pool 20 +
overflow 10) and is served by uvicorn the way ``ksp serve`` is (one process, no access
log), so the ratio of the two rates is the cost of the service's own work: authentication,
validation, encryption, hashing, its middleware and its database choices.

Its table is created at start-up. Run: ``python bench/bare_app.py --port 8001
--database-url sqlite+aiosqlite:///path.db`` (or ``postgresql+asyncpg://...``).
"""

from __future__ import annotations

import argparse
import uuid
from typing import Any

import msgspec
import uvicorn
from litestar import Litestar, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

POOL_SIZE = 20
MAX_OVERFLOW = 10

metadata = MetaData()
items = Table(
    "bench_items",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("cpr", String(11), nullable=False),
    Column("municipality_code", Integer, nullable=False),
)


class ItemIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    cpr: str
    municipality_code: int


class ItemOut(msgspec.Struct):
    id: str


class ItemRow(msgspec.Struct):
    id: str
    name: str
    cpr: str
    municipality_code: int


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    if make_url(url).get_backend_name() == "sqlite":
        # As the service does: one connection, so writers queue in asyncio rather than
        # sleeping in SQLite's busy handler. It is also the faster choice for this baseline.
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@post("/items", status_code=201)
async def create_item(data: ItemIn, state: State) -> ItemOut:
    item_id = str(uuid.uuid4())
    async with state.sessions() as session:
        await session.execute(
            insert(items).values(
                id=item_id,
                name=data.name,
                cpr=data.cpr,
                municipality_code=data.municipality_code,
            )
        )
        await session.commit()
    return ItemOut(id=item_id)


@get("/items/{item_id:str}")
async def read_item(item_id: str, state: State) -> ItemRow:
    async with state.sessions() as session:
        row = (await session.execute(select(items).where(items.c.id == item_id))).one_or_none()
    if row is None:
        raise NotFoundException
    return ItemRow(row.id, row.name, row.cpr, row.municipality_code)


def create_app(database_url: str) -> Litestar:
    engine = create_engine(database_url)

    async def create_table() -> None:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    return Litestar(
        route_handlers=[health, create_item, read_item],
        state=State({"sessions": async_sessionmaker(engine, expire_on_commit=False)}),
        on_startup=[create_table],
        on_shutdown=[engine.dispose],
        logging_config=None,
        openapi_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="The bare endpoints of bench/run.py and load.py.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True, help="sqlite+aiosqlite or asyncpg URL")
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.database_url),
        host=args.host,
        port=args.port,
        access_log=False,
        log_config=None,
        proxy_headers=False,
    )


if __name__ == "__main__":
    main()
