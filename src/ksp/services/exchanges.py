"""Use cases for exchanges of information and the records around them (guide 3.3.7).

Each exchange, notification decision and note record is a journal entry; a later record of
the same kind corrects the earlier, never edits it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable

from ksp.domain.access import Principal, case_scope
from ksp.domain.errors import FieldError, InvalidInput, NotFound
from ksp.domain.exchanges import (
    Exchange,
    ExchangeRecord,
    ExchangeView,
    NoteDraft,
    NotificationDraft,
    check_exchange,
    check_note,
    check_notification,
)
from ksp.journal.canonical import canonical
from ksp.services.cases import visible_case
from ksp.services.ports import Clock, Page, UnitOfWork, UnitOfWorkFactory

__all__ = ["ExchangeService", "append_exchange"]


async def append_exchange(
    uow: UnitOfWork, principal: Principal, exchange: Exchange, case_id: str, now: dt.datetime
) -> Exchange:
    """Journal an exchange of ``case_id`` (its id already chosen) and index it, inside the
    caller's unit of work; the journal lock must be held. Each exchange opens the case's
    duties to tell the detainee and to note it (guide 3.3.7, "Notatpligt og orientering")."""
    made = dataclasses.replace(
        exchange, case_id=case_id, created_at=now, created_by_sub=principal.sub
    )
    check_exchange(made, now.date())
    appended = await uow.journal.append(
        kind="exchange",
        ref=f"exchange/{made.id}",
        author=principal.sub,
        created_at=now,
        plaintext=canonical(
            {
                "format": "ksp-exchange/1",
                "id": made.id,
                "case_id": case_id,
                "occurred_on": made.occurred_on.isoformat(),
                "agencies": [a.value for a in made.agencies],
                "meeting_id": made.meeting_id,
                "summary": made.summary,
                "recorded_by": principal.sub,
                "recorded_at": now.isoformat(),
            }
        ),
    )
    made = dataclasses.replace(made, journal_seq=appended.seq)
    await uow.exchanges.add(made)
    return made


def _view(exchange: Exchange, latest: dict[tuple[str, str], ExchangeRecord]) -> ExchangeView:
    return ExchangeView(
        exchange, latest.get((exchange.id, "notification")), latest.get((exchange.id, "note"))
    )


class ExchangeService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id

    async def record(self, principal: Principal, case_id: str, exchange: Exchange) -> Exchange:
        """Guide 3.3.7: authorities may exchange information at or outside a meeting."""
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            case = await visible_case(uow, principal, case_id)
            if exchange.meeting_id is not None:
                meeting = await uow.meetings.get(exchange.meeting_id)
                if meeting is None or meeting.kif_unit != case.kif_unit:
                    raise InvalidInput([FieldError("meeting_id", "names no meeting of the case")])
            made = await append_exchange(
                uow, principal, dataclasses.replace(exchange, id=self._new_id()), case_id, now
            )
            await uow.commit()
        return made

    async def notify(
        self, principal: Principal, exchange_id: str, draft: NotificationDraft
    ) -> ExchangeRecord:
        today = self._clock.now().date()
        content = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in dataclasses.asdict(draft).items()
        }

        def check(exchange: Exchange) -> None:
            check_notification(draft, today, exchange.occurred_on)

        return await self._add(principal, exchange_id, "notification", content, check)

    async def note(
        self, principal: Principal, exchange_id: str, draft: NoteDraft
    ) -> ExchangeRecord:
        check_note(draft)
        return await self._add(
            principal, exchange_id, "note", {"where": draft.where.value, "reason": draft.reason}
        )

    async def get(self, principal: Principal, exchange_id: str) -> ExchangeView:
        """One exchange with its notification decision and note, if the caller's unit may
        see its case; the read is logged."""
        async with self._uow() as uow:
            exchange = await uow.exchanges.get(exchange_id)
            if exchange is None:
                raise NotFound
            case = await visible_case(uow, principal, exchange.case_id)
            latest = await uow.exchanges.latest_records([exchange_id])
            await uow.access_log.record(
                principal,
                resource="exchange",
                resource_id=exchange_id,
                subjects=[case.cpr],
                at=self._clock.now(),
            )
            await uow.commit()
        return _view(exchange, latest)

    async def find(
        self, principal: Principal, page: Page, *, open_duties: bool | None = None
    ) -> list[ExchangeView]:
        """A page of the exchanges of the caller's cases (``open_duties``: only those with,
        or only those without, a duty left); the read is logged with their subjects."""
        async with self._uow() as uow:
            found = await uow.exchanges.find(case_scope(principal), page, open_duties=open_duties)
            latest = await uow.exchanges.latest_records([e.id for e in found])
            held = await uow.cases.get_many({e.case_id for e in found})
            await uow.access_log.record(
                principal,
                resource="exchanges",
                resource_id=None,
                subjects=[case.cpr for case in held.values()],
                at=self._clock.now(),
            )
            await uow.commit()
        return [_view(e, latest) for e in found]

    async def _add(
        self,
        principal: Principal,
        exchange_id: str,
        kind: str,
        content: dict[str, object],
        check: Callable[[Exchange], None] = lambda _: None,
    ) -> ExchangeRecord:
        now = self._clock.now()
        async with self._uow() as uow:
            await uow.journal.lock()
            check(await self._visible(uow, principal, exchange_id))
            number = await uow.exchanges.next_number(exchange_id, kind)
            body = {
                "format": f"ksp-{kind}/1",
                "exchange_id": exchange_id,
                "number": number,
                "corrects": number - 1 if number > 1 else None,
                **content,
                "recorded_by": principal.sub,
                "recorded_at": now.isoformat(),
            }
            record = ExchangeRecord(exchange_id, kind, number, body, now, principal.sub)
            appended = await uow.journal.append(
                kind=kind,
                ref=f"exchange/{exchange_id}/{kind}/{number}",
                author=principal.sub,
                created_at=now,
                plaintext=canonical(body),
            )
            await uow.exchanges.add_record(record, appended.seq)
            await uow.commit()
        return record

    @staticmethod
    async def _visible(uow: UnitOfWork, principal: Principal, exchange_id: str) -> Exchange:
        exchange = await uow.exchanges.get(exchange_id)
        if exchange is None:
            raise NotFound
        await visible_case(uow, principal, exchange.case_id)
        return exchange
