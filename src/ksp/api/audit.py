"""``/api/v1/audit``: the access log, by time or by subject (CPR in the body, never a URL)."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, QueryParameter
from litestar.response import Stream

from ksp.api.auth import action, authorised
from ksp.api.dependencies import PageOut, page_of, provide_access_log_page
from ksp.api.docs import problems
from ksp.api.schemas.audit import (
    AccessLogSearch,
    AccessRecordOut,
    CheckpointOut,
    JournalEntryOut,
    JournalPage,
    VerificationOut,
    WitnessedOut,
)
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.audit import AccessRecord
from ksp.domain.errors import FieldError, InvalidInput
from ksp.journal.verify import Verification
from ksp.services.audit import AuditService
from ksp.services.ports import Page, TimeRange
from ksp.services.witnessing import QuorumReport

__all__ = ["AuditController"]


def _period(since: dt.datetime | None, until: dt.datetime | None) -> TimeRange:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise InvalidInput([FieldError(name, "must carry a UTC offset")])
        if value is not None and not 1900 <= value.year <= 2200:
            raise InvalidInput([FieldError(name, "must be between the years 1900 and 2200")])
    return TimeRange(since=since, until=until)


def _page(records: list[AccessRecord], page: Page) -> PageOut[AccessRecordOut]:
    return page_of([AccessRecordOut(**dataclasses.asdict(record)) for record in records], page)


def _verification(result: Verification, report: QuorumReport | None) -> VerificationOut:
    checkpoint = result.checkpoint
    witnessed = None
    if report is not None:
        witnessed = WitnessedOut(
            quorum_tree_size=report.tree_size,
            quorum_cosigners=list(report.cosigners),
            quorum_checkpoint=report.note,
            latest_tree_size=report.latest_size,
            latest_cosigners=list(report.latest_cosigners),
            rolled_back=report.rolled_back,
        )
    return VerificationOut(
        witnessed=witnessed,
        ok=result.ok,
        entries=result.entries,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
        checkpoint=None
        if checkpoint is None
        else CheckpointOut(
            tree_size=checkpoint.tree_size,
            root=base64.b64encode(checkpoint.root).decode(),
            note=checkpoint.note,
        ),
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
        dependencies=provide_access_log_page,
    )
    async def access_log(
        self,
        audit: NamedDependency[AuditService],
        page: NamedDependency[Page],
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
    ) -> PageOut[AccessRecordOut]:
        return _page(await audit.access_log(_period(since, until), page), page)

    @post(
        "/access-log/search",
        opt=action(Action.READ_ACCESS_LOG),
        responses=problems(422),
        summary="Who read a person's data",
        status_code=200,
        dto=StrictJSON[AccessLogSearch],
        return_dto=None,
    )
    async def search(
        self,
        principal: NamedDependency[Principal],
        audit: NamedDependency[AuditService],
        data: JSONBody[AccessLogSearch],
    ) -> PageOut[AccessRecordOut]:
        page = Page(data.limit, data.offset)
        period = _period(data.since, data.until)
        return _page(await audit.reads_of(principal, data.cpr, period, page), page)

    @get(
        "/journal",
        opt=action(Action.READ_JOURNAL),
        responses=problems(),
        summary="Journal entries in order",
    )
    async def journal(
        self,
        audit: NamedDependency[AuditService],
        after_seq: Annotated[int, QueryParameter(ge=0, le=2**31 - 1)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> JournalPage:
        records = await audit.journal(after_seq, limit)
        return JournalPage(
            items=[JournalEntryOut(**dataclasses.asdict(r)) for r in records],
            next_after_seq=records[-1].seq if len(records) == limit else None,
        )

    @get(
        "/verify",
        opt=action(Action.READ_JOURNAL),
        responses=problems(422),
        summary="Verify the whole journal",
    )
    async def verify(
        self,
        audit: NamedDependency[AuditService],
        trusted: Annotated[str | None, QueryParameter(max_length=4000)] = None,
    ) -> VerificationOut:
        """``trusted``: a checkpoint note the auditor kept, base64url-encoded; a journal
        shorter than it, or with another root at its size, is not intact."""
        note = None
        if trusted is not None:
            try:
                note = base64.urlsafe_b64decode(trusted.encode("ascii")).decode("utf-8")
            except (ValueError, UnicodeError):
                raise InvalidInput([FieldError("trusted", "must be a base64url note")]) from None
        return _verification(await audit.verify(note), await audit.witnessed())

    @get(
        "/export",
        opt=action(Action.READ_JOURNAL),
        responses=problems(),
        summary="A bundle for `ksp journal verify` (JSON Lines)",
        media_type="application/x-ndjson",
    )
    async def export(
        self,
        principal: NamedDependency[Principal],
        audit: NamedDependency[AuditService],
        content: FromQuery[bool] = True,
    ) -> Stream:
        lines = audit.export(principal, include_content=content)
        return Stream(
            (line + "\n" async for line in lines),
            media_type="application/x-ndjson",
            headers={"Content-Disposition": 'attachment; filename="ksp-journal.jsonl"'},
        )
