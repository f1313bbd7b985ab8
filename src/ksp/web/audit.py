"""The auditor's pages (``/revision``): the journal's verification, its export for
``ksp journal verify``, the newest access-log rows, and who read a person's data (a search
by CPR number, posted: the number never appears in a URL)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Stream

from ksp.api.auth import action
from ksp.domain.access import Action
from ksp.domain.errors import InvalidInput
from ksp.services.audit import AuditService
from ksp.services.ports import Page, TimeRange
from ksp.web.forms import field_errors, form_values
from ksp.web.pages import NO_STORE, form_page, page
from ksp.web.visitor import Visitor

__all__ = ["LOG_ROWS_SHOWN", "AuditPages"]

AnyRequest = Request[Any, Any, Any]
LOG_ROWS_SHOWN = 100
SEARCH_LABELS = {"cpr": "CPR-nummer"}


class AuditPages(Controller):
    path = "/revision"
    include_in_schema = False

    @get("/", opt=action(Action.READ_JOURNAL))
    async def overview(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        audit: NamedDependency[AuditService],
    ) -> Response[str]:
        """The journal verified now, and the newest reads of personal data."""
        del visitor  # signed in and allowed (the dependency checks it)
        verification = await audit.verify(None)
        rows = await audit.access_log(TimeRange(None, None), Page(limit=LOG_ROWS_SHOWN))
        return page(request, "web/audit/overview.html.j2", verification=verification, rows=rows)

    @get("/eksport", opt=action(Action.READ_JOURNAL))
    async def export(
        self, visitor: NamedDependency[Visitor], audit: NamedDependency[AuditService]
    ) -> Stream:
        """The bundle of ``GET /api/v1/audit/export`` as a download (logged as there)."""
        lines = audit.export(visitor.principal, include_content=True)
        return Stream(
            (line + "\n" async for line in lines),
            media_type="application/x-ndjson",
            headers={
                **NO_STORE,
                "Content-Disposition": 'attachment; filename="ksp-journal.jsonl"',
            },
        )

    @get("/adgangslog", opt=action(Action.READ_ACCESS_LOG))
    async def search_form(
        self, request: AnyRequest, visitor: NamedDependency[Visitor]
    ) -> Response[str]:
        del visitor
        return form_page(
            request,
            "web/audit/search.html.j2",
            values={},
            errors={},
            labels=SEARCH_LABELS,
            rows=None,
        )

    @post("/adgangslog", opt=action(Action.READ_ACCESS_LOG), status_code=200)
    async def search(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        audit: NamedDependency[AuditService],
    ) -> Response[str]:
        """Who read this person's data; the search itself is logged as a read about them."""
        values = await form_values(request)
        try:
            rows = await audit.reads_of(
                visitor.principal,
                values.get("cpr", "").strip(),
                TimeRange(None, None),
                Page(limit=LOG_ROWS_SHOWN),
            )
        except InvalidInput as refusal:
            errors = field_errors(refusal, {"cpr": "cpr"})
            return form_page(
                request,
                "web/audit/search.html.j2",
                values=values,
                errors=errors,
                labels=SEARCH_LABELS,
                rows=None,
            )
        return form_page(
            request,
            "web/audit/search.html.j2",
            values=values,
            errors={},
            labels=SEARCH_LABELS,
            rows=rows,
        )
