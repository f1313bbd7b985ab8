"""KiF's triage inbox (guide 3.3.7: KiF judges whether a case waits for a meeting, needs
direct contact now, or is rejected): ``GET /indbakke`` and ``POST /indbakke/{case_id}``; and
correcting a decision from the case's page, ``POST /sager/{case_id}/visitering``, as the
API's triage with ``corrects: true`` does (a reason is required; the new decision replaces
the old one, which stays in the case's history).

The inbox reads the unit's submitted cases for triage (logged with purpose ``triage``, as
``GET /api/v1/cases`` with that purpose); each case has its own small form.
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
from ksp.domain.cases import CaseStatus, TriageDecision
from ksp.domain.errors import KspError
from ksp.domain.reference import UnitTable
from ksp.services.cases import CaseService
from ksp.services.corrections import CorrectionService
from ksp.services.ports import Page
from ksp.web.cases import case_page
from ksp.web.kif_forms import NO_REFUSAL, Refusal, form_of
from ksp.web.meeting_labels import (
    CASE_STATUS,
    TRIAGE_DECISION,
    municipality_name,
    police_district_name,
)
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["TriagePages"]

AnyRequest = Request[Any, Any, Any]
INBOX_SIZE = 200  # cases shown at once, oldest first


async def _inbox(
    request: AnyRequest,
    visitor: Visitor,
    cases: CaseService,
    refusal: Refusal = NO_REFUSAL,
    failed: str | None = None,
) -> Response[str]:
    found = await cases.find(visitor.principal, Page(limit=INBOX_SIZE), status=CaseStatus.SUBMITTED)
    return page(
        request,
        "web/kif/inbox.html.j2",
        status=refusal.status,
        cases=found,
        full=len(found) == INBOX_SIZE,
        decisions=TRIAGE_DECISION,
        statuses=CASE_STATUS,
        municipality_name=municipality_name,
        police_district_name=police_district_name,
        failed=failed,
        **refusal.context(),
        done=_case_id_or_none(request.query_params.get("visiteret")),
    )


async def _triage(
    request: AnyRequest, visitor: Visitor, cases: CaseService, case_id: str, *, corrects: bool
) -> Refusal | None:
    """The posted decision and reason, triaged (or, ``corrects``, replacing the decision
    made); why not, with what was sent, if the service refused it."""
    form = await form_of(request)
    chosen, reason = form.choice("decision", TRIAGE_DECISION), form.optional("reason")
    try:
        form.check()
        decision = TriageDecision(chosen)
        await cases.triage(visitor.principal, case_id, decision, reason, corrects=corrects)
    except KspError as exc:
        return Refusal.of(exc, {"decision": chosen, "reason": reason or ""})
    return None


def _case_id_or_none(text: str | None) -> str | None:
    """The triaged case's id the inbox confirms (and links to), if the query holds one."""
    try:
        return str(UUID(text or ""))
    except ValueError:
        return None


class TriagePages(Controller):
    path = "/"

    @get("/indbakke", opt=action(Action.TRIAGE_CASE), include_in_schema=False)
    async def inbox(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
    ) -> Response[str]:
        return await _inbox(request, visitor, cases)

    @post("/indbakke/{case_id:uuid}", opt=action(Action.TRIAGE_CASE), include_in_schema=False)
    async def triage_case(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        case_id: FromPath[UUID],
    ) -> Response[Any]:
        if refusal := await _triage(request, visitor, cases, str(case_id), corrects=False):
            return await _inbox(request, visitor, cases, refusal, failed=str(case_id))
        return Redirect(f"/indbakke?visiteret={case_id}", status_code=303)

    @post(
        "/sager/{case_id:uuid}/visitering", opt=action(Action.TRIAGE_CASE), include_in_schema=False
    )
    async def correct_triage(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        corrections: NamedDependency[CorrectionService],
        units: NamedDependency[UnitTable],
        case_id: FromPath[UUID],
    ) -> Response[Any]:
        if refusal := await _triage(request, visitor, cases, str(case_id), corrects=True):
            return await case_page(
                request, visitor, cases, corrections, units, str(case_id), refusal=refusal
            )
        return Redirect(f"/sager/{case_id}?gemt=visiteret", status_code=303)
