"""``/api/v1/inquiries``: requests about released people, and KiF's decisions on them."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.dependencies import PageOut, page_of
from ksp.api.docs import problems
from ksp.api.schemas.common import nfc
from ksp.api.schemas.inquiries import DecisionIn, DecisionOut, InquiryIn, InquiryOut
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal, sees_full_cpr, sees_personal_data
from ksp.domain.inquiries import Decision, Inquiry
from ksp.services.inquiries import InquiryDraft, InquiryService
from ksp.services.ports import Page

__all__ = ["InquiryController"]


def _decision(decision: Decision, principal: Principal) -> DecisionOut:
    return DecisionOut(
        number=decision.number,
        eligible=decision.eligible,
        justification=decision.justification if sees_full_cpr(principal) else None,
        decided_at=decision.decided_at,
        decided_by=decision.decided_by_sub,
        corrects=decision.number - 1 if decision.number > 1 else None,
    )


def _inquiry(inquiry: Inquiry, decisions: list[Decision], principal: Principal) -> InquiryOut:
    suggestion = inquiry.window.suggestion
    dated = sees_personal_data(principal)  # participants: the suggestion, not KF's dates
    return InquiryOut(
        id=inquiry.id,
        kif_unit=inquiry.kif_unit,
        cpr=inquiry.cpr.formatted if sees_full_cpr(principal) else inquiry.cpr.masked,
        from_agency=inquiry.from_agency,
        received_on=inquiry.received_on,
        detained_since=inquiry.detained_since if dated else None,
        released_on=inquiry.released_on if dated else None,
        suggestion=None if suggestion is None else suggestion.value,
        window_days=inquiry.window.window_days,
        policy=inquiry.window.policy,
        created_at=inquiry.created_at,
        decisions=[_decision(d, principal) for d in decisions],
    )


class InquiryController(Controller):
    path = "/inquiries"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["decisions"]  # noqa: RUF012

    @post(
        "/",
        opt=action(Action.RECORD_INQUIRY),
        responses=problems(422),
        summary="A request about a released person",
        status_code=201,
        dto=StrictJSON[InquiryIn],
        return_dto=None,
    )
    async def record(
        self,
        principal: NamedDependency[Principal],
        inquiries: NamedDependency[InquiryService],
        data: JSONBody[InquiryIn],
    ) -> InquiryOut:
        inquiry = await inquiries.record(
            principal,
            InquiryDraft(
                data.cpr,
                data.from_agency,
                data.received_on,
                data.detained_since,
                data.released_on,
                data.kif_unit,
            ),
        )
        return _inquiry(inquiry, [], principal)

    @get(
        "/",
        opt=action(Action.READ_INQUIRIES),
        responses=problems(),
        summary="The inquiries you may see, a page at a time",
    )
    async def list_inquiries(
        self,
        principal: NamedDependency[Principal],
        inquiries: NamedDependency[InquiryService],
        page: NamedDependency[Page],
    ) -> PageOut[InquiryOut]:
        found = await inquiries.visible(principal, page)
        return page_of([_inquiry(i, d, principal) for i, d in found], page)

    @post(
        "/{inquiry_id:uuid}/decision",
        opt=action(Action.DECIDE_INQUIRY),
        responses=problems(404, 422),
        summary="KiF's decision (journalised)",
        status_code=201,
        dto=StrictJSON[DecisionIn],
        return_dto=None,
    )
    async def decide(
        self,
        principal: NamedDependency[Principal],
        inquiries: NamedDependency[InquiryService],
        inquiry_id: FromPath[UUID],
        data: JSONBody[DecisionIn],
    ) -> DecisionOut:
        text = None if data.justification is None else nfc(data.justification)
        decision = await inquiries.decide(principal, str(inquiry_id), data.eligible, text)
        return _decision(decision, principal)
