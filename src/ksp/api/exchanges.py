"""Exchanges of information and the guide's records around them (guide 3.3.7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from ksp.api.auth import action, authorised, principal_of
from ksp.api.docs import problems
from ksp.api.schemas import (
    ExchangeIn,
    ExchangeOut,
    NoteIn,
    NotificationIn,
    OpenExchangeList,
    OpenExchangeOut,
    RecordOut,
    nfc,
    strictly,
)
from ksp.domain.access import Action
from ksp.domain.errors import FieldError, InvalidInput
from ksp.domain.exchanges import Exchange, ExchangeRecord, NoteDraft, NoteWhere, NotificationDraft
from ksp.services.exchanges import ExchangeService

__all__ = ["ExchangeController"]


_UNSET = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the service sets the real time


def _record(record: ExchangeRecord) -> RecordOut:
    return RecordOut(
        exchange_id=record.exchange_id,
        kind=record.kind,
        number=record.number,
        corrects=record.number - 1 if record.number > 1 else None,
        created_at=record.created_at,
    )


def _exchange(e: Exchange) -> ExchangeOut:
    return ExchangeOut(
        id=e.id,
        case_id=e.case_id,
        occurred_on=e.occurred_on,
        agencies=list(e.agencies),
        meeting_id=e.meeting_id,
        created_at=e.created_at,
    )


def _text(value: str | None) -> str | None:
    return None if value is None else nfc(value)


class ExchangeController(Controller):
    path = "/"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["decisions"]  # noqa: RUF012

    @post(
        "/cases/{case_id:uuid}/exchanges",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(404, 422),
        summary="Record an exchange of information",
        status_code=201,
    )
    async def record(
        self,
        request: Request[Any, Any, Any],
        exchanges: NamedDependency[ExchangeService],
        case_id: FromPath[UUID],
        data: JSONBody[ExchangeIn],
    ) -> ExchangeOut:
        data = await strictly(request, ExchangeIn)
        draft = Exchange(
            id="",
            case_id="",
            occurred_on=data.occurred_on,
            agencies=tuple(dict.fromkeys(data.agencies)),
            meeting_id=None if data.meeting_id is None else str(data.meeting_id),
            summary=nfc(data.summary),
            created_at=_UNSET,
            created_by_sub="",
        )
        return _exchange(await exchanges.record(principal_of(request), str(case_id), draft))

    @post(
        "/exchanges/{exchange_id:uuid}/notification",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(404, 422),
        summary="Was the detainee told?",
        status_code=201,
    )
    async def notification(
        self,
        request: Request[Any, Any, Any],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
        data: JSONBody[NotificationIn],
    ) -> RecordOut:
        data = await strictly(request, NotificationIn)
        draft = NotificationDraft(
            data.told,
            data.told_on,
            _text(data.how),
            _text(data.reason),
            _text(data.manager),
            data.discussed_on,
        )
        return _record(await exchanges.notify(principal_of(request), str(exchange_id), draft))

    @post(
        "/exchanges/{exchange_id:uuid}/note",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(404, 422),
        summary="Where the exchange was noted",
        status_code=201,
    )
    async def note(
        self,
        request: Request[Any, Any, Any],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
        data: JSONBody[NoteIn],
    ) -> RecordOut:
        data = await strictly(request, NoteIn)
        draft = NoteDraft(NoteWhere(data.where), _text(data.reason))
        return _record(await exchanges.note(principal_of(request), str(exchange_id), draft))

    @get(
        "/exchanges",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(422),
        summary="Exchanges still missing a notification decision or a note",
    )
    async def open_duties(
        self,
        request: Request[Any, Any, Any],
        exchanges: NamedDependency[ExchangeService],
        open_only: Annotated[bool, QueryParameter(name="open")] = True,
    ) -> OpenExchangeList:
        if not open_only:
            raise InvalidInput([FieldError("open", "only open=true is offered")])
        found = await exchanges.open_duties(principal_of(request))
        return OpenExchangeList(
            items=[
                OpenExchangeOut(
                    **msgspec.structs.asdict(_exchange(e)),
                    notification_recorded=told,
                    note_recorded=noted,
                )
                for e, told, noted in found
            ]
        )
