"""The store for exchanges and their notification and note records (contents sealed under
the exchange's own data key, ``exchange:<id>``: its retention or its person's erasure
destroys that key, records and all)."""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from sqlalchemy import and_, exists, func, insert, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.db.data_key_store import SqlDataKeyStore, exchange_owner
from ksp.db.stores import in_scope
from ksp.db.tables import cases, exchange_records, exchanges
from ksp.domain.access import CaseScope
from ksp.domain.circulation import Agency
from ksp.domain.exchanges import Exchange, ExchangeRecord
from ksp.services.ports import Page

__all__ = ["SqlExchangeStore"]


_KEPT = exchanges.c.erased_at.is_(None)  # an erased exchange is not found


def _has(kind: str) -> Any:
    """Whether the exchange of the row has a record of ``kind``."""
    return exists().where(
        and_(exchange_records.c.exchange_id == exchanges.c.id, exchange_records.c.kind == kind)
    )


class SqlExchangeStore:
    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore) -> None:
        self._session = session
        self._keys = keys

    async def add(self, exchange: Exchange) -> None:
        await self._session.execute(
            insert(exchanges).values(
                id=exchange.id,
                case_id=exchange.case_id,
                occurred_on=exchange.occurred_on,
                agencies=",".join(a.value for a in exchange.agencies),
                meeting_id=exchange.meeting_id,
                summary_ct=await self._keys.encrypt_new(
                    exchange_owner(exchange.id),
                    exchange.summary,
                    context=f"exchanges.summary:{exchange.id}",
                ),
                created_at=exchange.created_at,
                created_by_sub=exchange.created_by_sub,
                journal_seq=exchange.journal_seq,
            )
        )

    async def get(self, exchange_id: str) -> Exchange | None:
        row = (
            await self._session.execute(
                select(exchanges).where(exchanges.c.id == exchange_id).where(_KEPT)
            )
        ).first()
        if row is None:
            return None
        await self._keys.load([row.summary_ct])
        return self._exchange(row._mapping)

    async def next_number(self, exchange_id: str, kind: str) -> int:
        query = select(func.max(exchange_records.c.number)).where(
            exchange_records.c.exchange_id == exchange_id, exchange_records.c.kind == kind
        )
        return int((await self._session.execute(query)).scalar() or 0) + 1

    async def add_record(self, record: ExchangeRecord, journal_seq: int) -> None:
        context = f"exchange_records:{record.exchange_id}/{record.kind}/{record.number}"
        await self._session.execute(
            insert(exchange_records).values(
                exchange_id=record.exchange_id,
                kind=record.kind,
                number=record.number,
                journal_seq=journal_seq,
                created_at=record.created_at,
                created_by_sub=record.created_by_sub,
                content_ct=await self._keys.encrypt_for(
                    exchange_owner(record.exchange_id), json.dumps(record.content), context=context
                ),
            )
        )

    async def find(
        self, scope: CaseScope, page: Page, *, open_duties: bool | None = None
    ) -> list[Exchange]:
        """The exchanges of the cases in the scope, oldest first; ``open_duties`` True: only
        those still missing a notification decision or a note; False: only those with both."""
        visible = in_scope(scope)
        query = (
            select(exchanges).join(cases, cases.c.id == exchanges.c.case_id).where(visible, _KEPT)
        )
        if open_duties is not None:
            closed = and_(_has("notification"), _has("note"))
            query = query.where(not_(closed) if open_duties else closed)
        query = query.order_by(exchanges.c.created_at, exchanges.c.id)
        rows = list(await self._session.execute(query.limit(page.limit).offset(page.offset)))
        await self._keys.load(r.summary_ct for r in rows)
        return [self._exchange(r._mapping) for r in rows]

    async def latest_records(
        self, exchange_ids: Collection[str]
    ) -> dict[tuple[str, str], ExchangeRecord]:
        """The latest record of each kind for each of ``exchange_ids``, by (id, kind): one
        query for them all."""
        if not exchange_ids:
            return {}
        query = (
            select(exchange_records)
            .where(exchange_records.c.exchange_id.in_(list(exchange_ids)))
            .order_by(exchange_records.c.number)
        )
        latest = {}
        rows = list(await self._session.execute(query))
        await self._keys.load(r.content_ct for r in rows)
        for row in rows:
            latest[(row.exchange_id, row.kind)] = self._record(row._mapping)
        return latest

    def _record(self, row: Any) -> ExchangeRecord:
        context = f"exchange_records:{row['exchange_id']}/{row['kind']}/{row['number']}"
        return ExchangeRecord(
            exchange_id=row["exchange_id"],
            kind=row["kind"],
            number=row["number"],
            content=json.loads(self._keys.read(row["content_ct"], context=context) or "{}"),
            created_at=row["created_at"],
            created_by_sub=row["created_by_sub"],
        )

    def _exchange(self, row: Any) -> Exchange:
        return Exchange(
            id=row["id"],
            case_id=row["case_id"],
            occurred_on=row["occurred_on"],
            agencies=tuple(Agency(a) for a in row["agencies"].split(",")),
            meeting_id=row["meeting_id"],
            summary=self._keys.read(row["summary_ct"], context=f"exchanges.summary:{row['id']}"),
            created_at=row["created_at"],
            created_by_sub=row["created_by_sub"],
            journal_seq=row["journal_seq"],
        )
