"""The store for exchanges and their notification and note records (contents encrypted)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, exists, func, insert, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import FieldCipher
from ksp.db.stores import in_scope
from ksp.db.tables import cases, exchange_records, exchanges
from ksp.domain.access import CaseScope
from ksp.domain.circulation import Agency
from ksp.domain.exchanges import Exchange, ExchangeRecord

__all__ = ["SqlExchangeStore"]


class SqlExchangeStore:
    def __init__(self, session: AsyncSession, cipher: FieldCipher) -> None:
        self._session = session
        self._cipher = cipher

    async def add(self, exchange: Exchange) -> None:
        await self._session.execute(
            insert(exchanges).values(
                id=exchange.id,
                case_id=exchange.case_id,
                occurred_on=exchange.occurred_on,
                agencies=",".join(a.value for a in exchange.agencies),
                meeting_id=exchange.meeting_id,
                summary_ct=self._cipher.encrypt(
                    exchange.summary, context=f"exchanges.summary:{exchange.id}"
                ),
                created_at=exchange.created_at,
                created_by_sub=exchange.created_by_sub,
                journal_seq=exchange.journal_seq,
            )
        )

    async def get(self, exchange_id: str) -> Exchange | None:
        row = (
            await self._session.execute(select(exchanges).where(exchanges.c.id == exchange_id))
        ).first()
        return None if row is None else self._exchange(row._mapping)

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
                content_ct=self._cipher.encrypt(json.dumps(record.content), context=context),
            )
        )

    async def open_duties(self, scope: CaseScope) -> list[tuple[Exchange, bool, bool]]:
        """Exchanges in the scope still missing a notification decision or a note, with
        which of the two they have."""

        def has(kind: str) -> Any:
            return exists().where(
                and_(
                    exchange_records.c.exchange_id == exchanges.c.id,
                    exchange_records.c.kind == kind,
                )
            )

        visible = in_scope(scope)
        query = (
            select(exchanges, has("notification").label("told"), has("note").label("noted"))
            .join(cases, cases.c.id == exchanges.c.case_id)
            .where(visible, not_(and_(has("notification"), has("note"))))
            .order_by(exchanges.c.created_at, exchanges.c.id)
        )
        rows = await self._session.execute(query)
        return [(self._exchange(r._mapping), bool(r.told), bool(r.noted)) for r in rows]

    def _exchange(self, row: Any) -> Exchange:
        return Exchange(
            id=row["id"],
            case_id=row["case_id"],
            occurred_on=row["occurred_on"],
            agencies=tuple(Agency(a) for a in row["agencies"].split(",")),
            meeting_id=row["meeting_id"],
            summary=self._cipher.decrypt(
                row["summary_ct"], context=f"exchanges.summary:{row['id']}"
            ),
            created_at=row["created_at"],
            created_by_sub=row["created_by_sub"],
            journal_seq=row["journal_seq"],
        )
