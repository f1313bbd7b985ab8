"""The jail's case pages: their unit's cases and what became of them (``/sager``), the case
form (``/sager/ny``), and a case's page (``/sager/{id}``).

What a page shows of a case is what the API shows the same principal (the API's own
projections ``summary_of`` and ``detail``), so a page never shows a name or CPR number the
API would not.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.api.cases import detail, summary_of
from ksp.domain.access import Action, Role, authorise
from ksp.domain.errors import Forbidden, InvalidInput, RemandRequiresRadicalisationConcern
from ksp.domain.reference import UnitTable
from ksp.services.cases import CaseService
from ksp.services.corrections import CorrectionService
from ksp.services.ports import Clock, Page
from ksp.web.case_form import LABELS, case_choices, draft_from, errors_of
from ksp.web.forms import form_values
from ksp.web.kif_forms import NO_REFUSAL, Refusal
from ksp.web.labels import place_names
from ksp.web.meeting_labels import TRIAGE_DECISION
from ksp.web.pages import form_page, page
from ksp.web.visitor import Visitor

__all__ = ["CASES_PER_PAGE", "CasePages", "case_page"]

AnyRequest = Request[Any, Any, Any]
CASES_PER_PAGE = 50
PageNumber = Annotated[int, QueryParameter(ge=1, le=10_000)]
SAVED = frozenset({"indsendt", "rettet", "trukket", "visiteret"})  # what the case page confirms


def _may(visitor: Visitor, performed: Action) -> bool:
    try:
        authorise(visitor.principal, performed)
    except Forbidden:
        return False
    return True


def _form(
    request: AnyRequest, units: UnitTable, *, values: dict[str, Any], errors: dict[str, str]
) -> Response[str]:
    return form_page(
        request,
        "web/cases/new.html.j2",
        values=values,
        errors=errors,
        labels=LABELS,
        choices=case_choices(units),
        correcting=False,
    )


class CasePages(Controller):
    path = "/sager"
    include_in_schema = False

    @get("/", opt=action(Action.LIST_CASES))
    async def list_cases(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        side: PageNumber = 1,
    ) -> Response[str]:
        """The unit's cases, newest first, with their status (what became of them)."""
        chosen = Page(limit=CASES_PER_PAGE, offset=(side - 1) * CASES_PER_PAGE)
        found = await cases.find(visitor.principal, chosen)
        return page(
            request,
            "web/cases/list.html.j2",
            cases=[summary_of(visitor.principal, case) for case in found],
            side=side,
            more=len(found) == CASES_PER_PAGE,
        )

    @get("/ny", opt=action(Action.SUBMIT_CASE))
    async def new_case(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],  # noqa: ARG002 - signed in and allowed to submit
        units: NamedDependency[UnitTable],
    ) -> Response[str]:
        return _form(request, units, values={}, errors={})

    @post("/ny", opt=action(Action.SUBMIT_CASE), status_code=303)
    async def submit(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        units: NamedDependency[UnitTable],
    ) -> Response[Any]:
        """Stored, then to the case's page (its id only in the URL); refused, the same form
        again with every value as it was sent, each problem next to its field and at the
        top. The CPR number travels in the body only."""
        values = await form_values(request)
        clock: Clock = request.app.state.clock
        draft, unread = draft_from(values, clock.now().date())
        if unread:
            errors = errors_of(None, unread, draft, now=clock.now(), kif_units=units.kif_units())
            return _form(request, units, values=values, errors=errors)
        try:
            submitted = await cases.submit(visitor.principal, draft, None)
        except (InvalidInput, RemandRequiresRadicalisationConcern) as refusal:
            return _form(request, units, values=values, errors=errors_of(refusal, []))
        query = "?gemt=indsendt" + "".join(f"&dublet={d}" for d in submitted.possible_duplicates)
        return Redirect(f"/sager/{submitted.case_id}{query}", status_code=303)

    @get("/{case_id:uuid}", opt=action(Action.READ_CASE))
    async def case(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        corrections: NamedDependency[CorrectionService],
        units: NamedDependency[UnitTable],
        case_id: FromPath[UUID],
        gemt: Annotated[str | None, QueryParameter(max_length=20)] = None,
        dublet: Annotated[list[UUID] | None, QueryParameter(max_items=20)] = None,
    ) -> Response[str]:
        """The case as the API shows it to this role; to its jail and KiF also its
        corrections (each read logged as through the API)."""
        shown = gemt if gemt in SAVED else None
        duplicates = [str(d) for d in dublet or []]
        return await case_page(
            request,
            visitor,
            cases,
            corrections,
            units,
            str(case_id),
            saved=shown,
            duplicates=duplicates,
        )


async def case_page(  # noqa: PLR0913 - the page's services, and what it confirms or refused
    request: AnyRequest,
    visitor: Visitor,
    cases: CaseService,
    corrections: CorrectionService,
    units: UnitTable,
    case_id: str,
    *,
    saved: str | None = None,
    duplicates: list[str] | None = None,
    refusal: Refusal = NO_REFUSAL,
) -> Response[str]:
    """A case's page; to KiF with the form that corrects its triage (``refusal``: why that
    form came back)."""
    principal = visitor.principal
    view = await cases.get(principal, case_id)
    shown = detail(principal, view)
    handles = principal.role in (Role.ARREST, Role.KIF)
    revisions = (
        await corrections.revisions(principal, case_id)
        if handles and _may(visitor, Action.READ_REVISIONS)
        else []
    )
    return page(
        request,
        "web/cases/case.html.j2",
        status=refusal.status,
        case=shown,
        places=place_names(shown.municipality_code, shown.police_district, shown.kif_unit, units),
        revisions=revisions,
        handles=handles,
        corrects_triage=_may(visitor, Action.TRIAGE_CASE) and shown.triage_decision is not None,
        decisions=TRIAGE_DECISION,
        saved=saved,
        duplicates=duplicates or [],
        labels=LABELS,
        **refusal.context(),
    )
