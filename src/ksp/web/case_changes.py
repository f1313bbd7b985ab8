"""Putting a case right: correct its facts (``/sager/{id}/ret``) or withdraw it
(``/sager/{id}/tilbagetraek``), each with a reason, as the API's PATCH and withdraw do."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.api.schemas.common import nfc
from ksp.domain.access import Action, sees_full_cpr
from ksp.domain.errors import InvalidInput, RuleViolation
from ksp.domain.reference import UnitTable
from ksp.services.cases import CaseService, CaseView
from ksp.services.corrections import CorrectionService
from ksp.services.ports import Clock
from ksp.web.case_form import (
    LABELS,
    case_choices,
    changes_from,
    draft_from,
    errors_of,
    values_of_case,
)
from ksp.web.forms import FormValues, field_errors, form_values
from ksp.web.pages import form_page
from ksp.web.visitor import Visitor

__all__ = ["CaseChangePages"]

AnyRequest = Request[Any, Any, Any]
REASON_FIELDS = {"reason": "reason"}


def _correction_form(
    request: AnyRequest,
    units: UnitTable,
    view: CaseView,
    values: dict[str, Any],
    errors: dict[str, str],
) -> Response[str]:
    return form_page(
        request,
        "web/cases/correct.html.j2",
        values=values,
        errors=errors,
        case_id=view.case.id,
        masked_cpr=view.case.cpr.masked,
        labels=LABELS,
        choices=case_choices(units),
        correcting=True,
    )


def _withdraw_form(
    request: AnyRequest, case_id: str, values: FormValues, errors: dict[str, str]
) -> Response[str]:
    return form_page(
        request,
        "web/cases/withdraw.html.j2",
        values=values,
        errors=errors,
        case_id=case_id,
        labels=LABELS,
    )


class CaseChangePages(Controller):
    path = "/sager/{case_id:uuid}"
    include_in_schema = False

    @get("/ret", opt=action(Action.CORRECT_CASE))
    async def correction_form(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        units: NamedDependency[UnitTable],
        case_id: FromPath[UUID],
    ) -> Response[str]:
        view = await cases.get(visitor.principal, str(case_id))
        values = values_of_case(view.case, full_cpr=sees_full_cpr(visitor.principal))
        return _correction_form(request, units, view, values, {})

    @post("/ret", opt=action(Action.CORRECT_CASE), status_code=303)
    async def correct(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        corrections: NamedDependency[CorrectionService],
        units: NamedDependency[UnitTable],
        case_id: FromPath[UUID],
    ) -> Response[Any]:
        """The fields that differ from the case become the correction; every rule is
        checked again on the corrected case."""
        values = await form_values(request)
        clock: Clock = request.app.state.clock
        view = await cases.get(visitor.principal, str(case_id))
        values["kif_unit"] = view.case.kif_unit
        # An empty CPR field keeps the number (those who do not see it in full leave it so).
        given = {**values, "cpr": values.get("cpr", "").strip() or view.case.cpr.formatted}
        draft, unread = draft_from(given, clock.now().date())
        if unread:
            errors = errors_of(None, unread, draft, now=clock.now(), kif_units=units.kif_units())
            return _correction_form(request, units, view, values, errors)
        try:
            await corrections.correct(
                visitor.principal,
                str(case_id),
                changes_from(view.case, draft),
                nfc(values.get("reason", "")),
            )
        except (InvalidInput, RuleViolation) as refusal:
            return _correction_form(request, units, view, values, errors_of(refusal, []))
        return Redirect(f"/sager/{case_id}?gemt=rettet", status_code=303)

    @get("/tilbagetraek", opt=action(Action.WITHDRAW_CASE))
    async def withdraw_form(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        cases: NamedDependency[CaseService],
        case_id: FromPath[UUID],
    ) -> Response[str]:
        await cases.get(visitor.principal, str(case_id))  # 404 unless the unit may see it
        return _withdraw_form(request, str(case_id), {}, {})

    @post("/tilbagetraek", opt=action(Action.WITHDRAW_CASE), status_code=303)
    async def withdraw(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        corrections: NamedDependency[CorrectionService],
        case_id: FromPath[UUID],
    ) -> Response[Any]:
        values = await form_values(request)
        try:
            await corrections.withdraw(
                visitor.principal, str(case_id), nfc(values.get("reason", ""))
            )
        except InvalidInput as refusal:
            errors = field_errors(refusal, REASON_FIELDS)
            return _withdraw_form(request, str(case_id), values, errors)
        return Redirect(f"/sager/{case_id}?gemt=trukket", status_code=303)
