"""``/api/v1/audit``: the access log, by time or by subject (CPR in the body, never a URL)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter

from ksp.api.auth import action, authorised, principal_of
from ksp.api.docs import problems
from ksp.api.schemas import AccessLogPage, AccessLogSearch, AccessRecordOut, strictly
from ksp.domain.access import Action
from ksp.domain.audit import AccessRecord
from ksp.domain.errors import FieldError, InvalidInput
from ksp.services.audit import AuditService
from ksp.services.ports import Page, TimeRange

__all__ = ["AuditController"]


def _period(since: dt.datetime | None, until: dt.datetime | None) -> TimeRange:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput([FieldError(name, "must carry a UTC offset")])
    return TimeRange(since=since, until=until)


def _page(records: list[AccessRecord], limit: int, offset: int) -> AccessLogPage:
    return AccessLogPage(
        items=[AccessRecordOut(**dataclasses.asdict(record)) for record in records],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if len(records) == limit else None,
    )


class AuditController(Controller):
    path = "/audit"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["audit"]  # noqa: RUF012

    @get(
        "/access-log",
        opt=action(Action.READ_ACCESS_LOG),
        responses=problems(422),
        summary="Read the access log",
    )
    async def access_log(
        self,
        audit: NamedDependency[AuditService],
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000)] = 0,
    ) -> AccessLogPage:
        records = await audit.access_log(_period(since, until), Page(limit, offset))
        return _page(records, limit, offset)

    @post(
        "/access-log/search",
        opt=action(Action.READ_ACCESS_LOG),
        responses=problems(422),
        summary="Who read a person's data",
        status_code=200,
    )
    async def search(
        self,
        request: Request[Any, Any, Any],
        audit: NamedDependency[AuditService],
        data: JSONBody[AccessLogSearch],
    ) -> AccessLogPage:
        data = await strictly(request, AccessLogSearch)
        records = await audit.reads_of(
            principal_of(request),
            data.cpr,
            _period(data.since, data.until),
            Page(data.limit, data.offset),
        )
        return _page(records, data.limit, data.offset)
