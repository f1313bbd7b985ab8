"""Exchanges of information and the guide's records around them (guide 3.3.7), for jail
staff (and KiF): record an exchange on a case, then whether the detainee was told and where
it was noted; the unit's exchanges and its open duties (``/opgaver``)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.api.schemas.common import nfc
from ksp.domain.access import Action
from ksp.domain.circulation import Agency
from ksp.domain.errors import FieldError, InvalidInput, NotificationOmissionNeedsManager
from ksp.domain.exchanges import Exchange, NoteDraft, NoteWhere, NotificationDraft
from ksp.services.cases import CaseService
from ksp.services.exchanges import ExchangeService
from ksp.services.ports import Page
from ksp.web.forms import (
    FormValues,
    field_errors,
    form_list,
    form_values,
    optional_date,
    required_date,
)
from ksp.web.labels import AGENCY_DA, NOTE_WHERE_DA
from ksp.web.messages import sentence_of
from ksp.web.pages import form_page, page
from ksp.web.visitor import Visitor

__all__ = ["EXCHANGES_SHOWN", "ExchangePages"]

AnyRequest = Request[Any, Any, Any]
EXCHANGES_SHOWN = 200
_UNSET = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)  # the service sets the real time
EXCHANGE_FIELDS = {"occurred_on": "occurred_on", "agencies": "agencies", "summary": "summary"}
NOTIFICATION_FIELDS = {
    "told": "told",
    "told_on": "told_on",
    "how": "how",
    "reason": "omission_reason",
    "manager": "manager",
    "discussed_on": "discussed_on",
}
NOTE_FIELDS = {"where": "where", "reason": "note_reason"}
LABELS = {
    "occurred_on": "Dato for udvekslingen",
    "agencies": "Myndigheder, der udvekslede oplysninger",
    "summary": "Hvad blev udvekslet",
    "told": "Er den indsatte orienteret?",
    "told_on": "Orienteret den",
    "how": "Hvordan blev den indsatte orienteret",
    "omission_reason": "Hvorfor orienteres den indsatte ikke",
    "manager": "Drøftet med lederen",
    "discussed_on": "Drøftet den",
    "where": "Hvor er udvekslingen noteret?",
    "note_reason": "Hvorfor er den ikke noteret",
}


def _text(values: FormValues, name: str) -> str | None:
    text = values.get(name, "").strip()
    return nfc(text) if text else None


def _exchange_form(
    request: AnyRequest, case_id: str, values: FormValues, agencies: list[str], errors: Any
) -> Response[str]:
    return form_page(
        request,
        "web/exchanges/new.html.j2",
        values=values,
        errors=errors,
        case_id=case_id,
        chosen=agencies,
        labels=LABELS,
        agencies=list(AGENCY_DA.items()),
    )


async def _exchange_page(
    request: AnyRequest,
    visitor: Visitor,
    exchanges: ExchangeService,
    exchange_id: str,
    *,
    values: FormValues | None = None,
    errors: dict[str, str] | None = None,
    saved: str | None = None,
) -> Response[str]:
    view = await exchanges.get(visitor.principal, exchange_id)
    return form_page(
        request,
        "web/exchanges/exchange.html.j2",
        values=values or {},
        errors=errors or {},
        view=view,
        labels=LABELS,
        saved=saved,
        note_places=list(NOTE_WHERE_DA.items()),
    )


async def _saved_or_again(
    request: AnyRequest,
    visitor: Visitor,
    exchanges: ExchangeService,
    exchange_id: str,
    values: FormValues,
    errors: dict[str, str],
    saved: str,
) -> Response[Any]:
    """Refused: the exchange's page again with the form as sent; kept: back to it."""
    if errors:
        return await _exchange_page(
            request, visitor, exchanges, exchange_id, values=values, errors=errors
        )
    return Redirect(f"/udvekslinger/{exchange_id}?gemt={saved}", status_code=303)


def _notification(values: FormValues) -> tuple[NotificationDraft, list[FieldError]]:
    unread: list[FieldError] = []
    told = values.get("told", "")
    if told not in ("ja", "nej"):
        unread.append(FieldError("told", "is required"))
    if told == "ja":
        told_on = required_date(values, "told_on", unread)
        return NotificationDraft(told=True, told_on=told_on, how=_text(values, "how")), unread
    return NotificationDraft(
        told=False,
        reason=_text(values, "omission_reason"),
        manager=_text(values, "manager"),
        discussed_on=optional_date(values, "discussed_on", unread),
    ), unread


class ExchangePages(Controller):
    path = "/"
    include_in_schema = False

    @get("/sager/{case_id:uuid}/udveksling", opt=action(Action.RECORD_EXCHANGE))
    async def exchange_form(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        case_id: FromPath[UUID],
    ) -> Response[str]:
        await cases.get(visitor.principal, str(case_id))  # 404 unless the unit may see it
        return _exchange_form(request, str(case_id), {}, [], {})

    @post("/sager/{case_id:uuid}/udveksling", opt=action(Action.RECORD_EXCHANGE))
    async def record(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        exchanges: NamedDependency[ExchangeService],
        case_id: FromPath[UUID],
    ) -> Response[Any]:
        values = await form_values(request)
        unread: list[FieldError] = []
        chosen = await form_list(request, "agencies")
        known = [Agency(a) for a in dict.fromkeys(chosen) if a in set(Agency)]
        occurred = required_date(values, "occurred_on", unread)
        if unread or occurred is None:
            errors = field_errors(InvalidInput(unread), EXCHANGE_FIELDS)
            return _exchange_form(request, str(case_id), values, chosen, errors)
        draft = Exchange(
            id="",
            case_id="",
            occurred_on=occurred,
            agencies=tuple(known),
            meeting_id=None,
            summary=nfc(values.get("summary", "")),
            created_at=_UNSET,
            created_by_sub="",
        )
        try:
            made = await exchanges.record(visitor.principal, str(case_id), draft)
        except InvalidInput as refusal:
            errors = field_errors(refusal, EXCHANGE_FIELDS)
            return _exchange_form(request, str(case_id), values, chosen, errors)
        return Redirect(f"/udvekslinger/{made.id}?gemt=udveksling", status_code=303)

    @get("/udvekslinger/{exchange_id:uuid}", opt=action(Action.RECORD_EXCHANGE))
    async def exchange(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
        gemt: FromQuery[str | None] = None,
    ) -> Response[str]:
        saved = gemt if gemt in ("udveksling", "orientering", "notat") else None
        return await _exchange_page(request, visitor, exchanges, str(exchange_id), saved=saved)

    @post("/udvekslinger/{exchange_id:uuid}/orientering", opt=action(Action.RECORD_EXCHANGE))
    async def notification(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
    ) -> Response[Any]:
        """Told (when, how), or not told with the reason, the manager and the date."""
        values = await form_values(request)
        draft, unread = _notification(values)
        errors: dict[str, str] = {}
        if unread:
            errors = field_errors(InvalidInput(unread), NOTIFICATION_FIELDS)
        else:
            try:
                await exchanges.notify(visitor.principal, str(exchange_id), draft)
            except InvalidInput as refusal:
                errors = field_errors(refusal, NOTIFICATION_FIELDS)
            except NotificationOmissionNeedsManager as refusal:
                errors = {"omission_reason": sentence_of(refusal)}
        return await _saved_or_again(
            request, visitor, exchanges, str(exchange_id), values, errors, "orientering"
        )

    @post("/udvekslinger/{exchange_id:uuid}/notat", opt=action(Action.RECORD_EXCHANGE))
    async def note(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        exchanges: NamedDependency[ExchangeService],
        exchange_id: FromPath[UUID],
    ) -> Response[Any]:
        """Guide 3.3.7 ("Notatpligt"): where it was noted, or why not."""
        values = await form_values(request)
        try:
            where = NoteWhere(values.get("where", ""))
        except ValueError:
            errors = {"where": "Vælg, hvor udvekslingen er noteret."}
        else:
            try:
                draft = NoteDraft(where, _text(values, "note_reason"))
                await exchanges.note(visitor.principal, str(exchange_id), draft)
                errors = {}
            except InvalidInput as refusal:
                errors = field_errors(refusal, NOTE_FIELDS)
        return await _saved_or_again(
            request, visitor, exchanges, str(exchange_id), values, errors, "notat"
        )

    @get("/udvekslinger", opt=action(Action.RECORD_EXCHANGE))
    async def all_exchanges(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        exchanges: NamedDependency[ExchangeService],
    ) -> Response[str]:
        found = await exchanges.find(visitor.principal, Page(limit=EXCHANGES_SHOWN))
        return page(request, "web/exchanges/list.html.j2", views=found, duties_only=False)

    @get("/opgaver", opt=action(Action.RECORD_EXCHANGE))
    async def duties(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        exchanges: NamedDependency[ExchangeService],
    ) -> Response[str]:
        """The unit's open duties: exchanges whose detainee's notification or note is not
        yet recorded (guide 3.3.7)."""
        found = await exchanges.find(
            visitor.principal, Page(limit=EXCHANGES_SHOWN), open_duties=True
        )
        return page(request, "web/exchanges/list.html.j2", views=found, duties_only=True)
