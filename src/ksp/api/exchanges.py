"""Exchanges of information and the guide's records around them (guide 3.3.7)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, TypeVar
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from ksp.api.auth import action, authorised
from ksp.api.dependencies import PageOut, page_of
from ksp.api.docs import problems
from ksp.api.schemas.common import nfc
from ksp.api.schemas.exchanges import (
    ExchangeDetailOut,
    ExchangeIn,
    ExchangeOut,
    NoteIn,
    NoteOut,
    NotificationIn,
    NotificationOut,
    RecordOut,
)
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.exchanges import (
    Exchange,
    ExchangeRecord,
    ExchangeView,
    NoteDraft,
    NoteWhere,
    NotificationDraft,
)
from ksp.services.exchanges import ExchangeService
from ksp.services.ports import Page

__all__ = ["ExchangeController"]


T = TypeVar("T")
NOTIFICATION_FIELDS = ("told", "told_on", "how", "reason", "manager", "discussed_on")
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


def _latest(record: ExchangeRecord | None, shape: type[T], fields: tuple[str, ...]) -> T | None:
    """The record's content fields and who recorded it when, as ``shape``."""
    if record is None:
        return None
    return msgspec.convert(
        {
            **{name: record.content.get(name) for name in fields},
            "number": record.number,
            "recorded_at": record.created_at,
            "recorded_by": record.created_by_sub,
        },
        shape,
    )


def _detail(view: ExchangeView) -> ExchangeDetailOut:
    return ExchangeDetailOut(
        **msgspec.structs.asdict(_exchange(view.exchange)),
        summary=view.exchange.summary,
        notification_recorded=view.notification is not None,
        note_recorded=view.note is not None,
        notification=_latest(view.notification, NotificationOut, NOTIFICATION_FIELDS),
        note=_latest(view.note, NoteOut, ("where", "reason")),
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
        dto=StrictJSON[ExchangeIn],
        return_dto=None,
    )
    async def record(
        self,
        principal: NamedDependency[Principal],
        exchanges: NamedDependency[ExchangeService],
        case_id: FromPath[UUID],
        data: JSONBody[ExchangeIn],
    ) -> ExchangeOut:
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
        return _exchange(await exchanges.record(principal, str(case_id), draft))

    @post(
        "/exchanges/{exchange_id:uuid}/notification",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(404, 422),
        summary="Was the detainee told?",
        status_code=201,
        dto=StrictJSON[NotificationIn],
        return_dto=None,
    )
    async def notification(
        self,
        principal: NamedDependency[Principal],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
        data: JSONBody[NotificationIn],
    ) -> RecordOut:
        draft = NotificationDraft(
            data.told,
            data.told_on,
            _text(data.how),
            _text(data.reason),
            _text(data.manager),
            data.discussed_on,
        )
        return _record(await exchanges.notify(principal, str(exchange_id), draft))

    @post(
        "/exchanges/{exchange_id:uuid}/note",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(404, 422),
        summary="Where the exchange was noted",
        status_code=201,
        dto=StrictJSON[NoteIn],
        return_dto=None,
    )
    async def note(
        self,
        principal: NamedDependency[Principal],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
        data: JSONBody[NoteIn],
    ) -> RecordOut:
        draft = NoteDraft(NoteWhere(data.where), _text(data.reason))
        return _record(await exchanges.note(principal, str(exchange_id), draft))

    @get(
        "/exchanges/{exchange_id:uuid}",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(404, 410),
        summary="One exchange with its notification decision and note",
    )
    async def read(
        self,
        principal: NamedDependency[Principal],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
    ) -> ExchangeDetailOut:
        return _detail(await exchanges.get(principal, str(exchange_id)))

    @get(
        "/exchanges",
        opt=action(Action.RECORD_EXCHANGE),
        responses=problems(410),
        summary="The exchanges of your cases (open=true: those still missing a duty)",
    )
    async def list_exchanges(
        self,
        principal: NamedDependency[Principal],
        exchanges: NamedDependency[ExchangeService],
        page: NamedDependency[Page],
        open_duties: Annotated[bool | None, QueryParameter(name="open")] = None,
    ) -> PageOut[ExchangeDetailOut]:
        found = await exchanges.find(principal, page, open_duties=open_duties)
        return page_of([_detail(view) for view in found], page)
