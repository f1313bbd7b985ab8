"""The page baseline of ``bench/load.py``: the least a Litestar + Jinja2 + SQLAlchemy page
does.

``GET /page/{rows}`` reads ``rows`` rows (at most ``MAX_ROWS``) of a table filled at start-up
with SQLAlchemy async and renders them as an HTML table with one Jinja2 template (autoescape
on, as the service's), so ``load_pages.py`` can ask for a page of the same size as each page
of the service. ``GET /health`` as ``bare_app.py``. The same driver, pragmas and pool as
``bare_app.py`` (and so as the service), served by uvicorn the same way.

Run: ``python bench/bare_pages.py --port 8002 --database-url sqlite+aiosqlite:///path.db``.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn
from jinja2 import Environment, select_autoescape
from litestar import Litestar, MediaType, Response, get
from litestar.datastructures import State
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bare_app import create_engine

MAX_ROWS = 2000

metadata = MetaData()
rows_table = Table(
    "bench_page_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("status", String(40), nullable=False),
)

TEMPLATE = """<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<table><thead><tr><th>Nr.</th><th>Navn</th><th>Status</th></tr></thead><tbody>
{% for row in rows %}<tr><td>{{ row.id }}</td>
<td><a href="/r/{{ row.id }}">{{ row.name }}</a></td><td>{{ row.status }}</td></tr>
{% endfor %}</tbody></table></main></body></html>
"""
template = Environment(autoescape=select_autoescape(default=True)).from_string(TEMPLATE)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/page/{rows:int}")
async def page(rows: int, state: State) -> Response[str]:
    async with state.sessions() as session:
        query = select(rows_table).order_by(rows_table.c.id).limit(min(max(rows, 0), MAX_ROWS))
        found = (await session.execute(query)).all()
    html = template.render(title="Oversigt", rows=found)
    return Response(html, media_type=MediaType.HTML)


def create_app(database_url: str) -> Litestar:
    engine = create_engine(database_url)

    async def fill() -> None:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            count = (await connection.execute(select(func.count()).select_from(rows_table))).one()
            if count[0] == 0:
                values: list[dict[str, Any]] = [
                    {"id": n, "name": f"Person nummer {n:04d}", "status": "Visiteret"}
                    for n in range(1, MAX_ROWS + 1)
                ]
                await connection.execute(insert(rows_table), values)

    return Litestar(
        route_handlers=[health, page],
        state=State({"sessions": async_sessionmaker(engine, expire_on_commit=False)}),
        on_startup=[fill],
        on_shutdown=[engine.dispose],
        logging_config=None,
        openapi_config=None,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="The bare Jinja2 page of bench/load.py.")
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
