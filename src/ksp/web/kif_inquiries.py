"""Inquiries about released people and KiF's decisions (guide 3.3.7, "Tidsafgrænsning af
samarbejdet ved løsladelsen"): ``GET /henvendelser`` lists them with the suggestion and
every decision (the read is access-logged with purpose ``inquiry``), ``POST /henvendelser``
records one (the CPR number travels in the body, never in a URL), and
``POST /henvendelser/{id}/afgoerelse`` decides. Also KiF's worklist, ``GET /arbejdsliste``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.domain.access import Action
from ksp.domain.circulation import Agency
from ksp.domain.errors import KspError
from ksp.services.inquiries import InquiryDraft, InquiryService
from ksp.services.ports import Page
from ksp.services.worklist import WorklistService
from ksp.web.kif_forms import NO_REFUSAL, Refusal, form_of
from ksp.web.meeting_labels import AGENCY, DUE_KIND, SUGGESTION
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["InquiryPages"]

AnyRequest = Request[Any, Any, Any]
INQUIRIES_SHOWN = 100
_FIELDS = ("cpr", "from_agency", "received_on", "detained_since", "released_on")


async def _inquiries_page(
    request: AnyRequest,
    visitor: Visitor,
    inquiries: InquiryService,
    refusal: Refusal = NO_REFUSAL,
    failed: str | None = None,
) -> Response[str]:
    found = await inquiries.visible(visitor.principal, Page(limit=INQUIRIES_SHOWN))
    return page(
        request,
        "web/kif/inquiries.html.j2",
        status=refusal.status,
        inquiries=found,
        full=len(found) == INQUIRIES_SHOWN,
        agencies={a.value: AGENCY[a.value] for a in Agency},
        suggestions=SUGGESTION,
        **refusal.context(),
        failed=failed,
    )


class InquiryPages(Controller):
    path = "/"

    @get("/henvendelser", opt=action(Action.DECIDE_INQUIRY), include_in_schema=False)
    async def inquiries_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        inquiries: NamedDependency[InquiryService],
    ) -> Response[str]:
        return await _inquiries_page(request, visitor, inquiries)

    @post("/henvendelser", opt=action(Action.RECORD_INQUIRY), include_in_schema=False)
    async def record_inquiry(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        inquiries: NamedDependency[InquiryService],
    ) -> Response[Any]:
        form = await form_of(request)
        values = {name: form.text(name) for name in _FIELDS}
        try:
            cpr = form.text("cpr", required=True)
            agency = form.choice("from_agency", [a.value for a in Agency])
            received = form.date("received_on", required=True)
            detained, released = form.date("detained_since"), form.date("released_on")
            form.check()
            assert received is not None
            draft = InquiryDraft(cpr, Agency(agency), received, detained, released, None)
            await inquiries.record(visitor.principal, draft)
        except KspError as exc:
            refusal = Refusal.of(exc, values)
            return await _inquiries_page(request, visitor, inquiries, refusal)
        return Redirect("/henvendelser", status_code=303)

    @post(
        "/henvendelser/{inquiry_id:uuid}/afgoerelse",
        opt=action(Action.DECIDE_INQUIRY),
        include_in_schema=False,
    )
    async def decide_inquiry(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        inquiries: NamedDependency[InquiryService],
        inquiry_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        chosen = form.choice("eligible", ("ja", "nej"))
        try:
            form.check()
            await inquiries.decide(
                visitor.principal, str(inquiry_id), chosen == "ja", form.optional("justification")
            )
        except KspError as exc:
            refusal, failed = Refusal.of(exc), str(inquiry_id)
            return await _inquiries_page(request, visitor, inquiries, refusal, failed)
        return Redirect("/henvendelser", status_code=303)

    @get("/arbejdsliste", opt=action(Action.READ_WORKLIST), include_in_schema=False)
    async def worklist_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        worklists: NamedDependency[WorklistService],
    ) -> Response[str]:
        items = await worklists.worklist(visitor.principal)
        return page(request, "web/kif/worklist.html.j2", items=items, due_kinds=DUE_KIND)
