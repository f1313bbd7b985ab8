"""``/api/v1/cases``: correct a case, read its revisions, withdraw it; KiF's CPR search."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.case_schemas import (
    CaseCorrectionIn,
    CaseSearchIn,
    CaseSearchOut,
    RevisionOut,
    RevisionPage,
    WithdrawIn,
    WithdrawOut,
)
from ksp.api.cases import detail, summary_of
from ksp.api.docs import problems
from ksp.api.schemas.cases import CaseOut
from ksp.api.schemas.common import nfc
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.services.cases import CaseService
from ksp.services.corrections import CorrectionService

__all__ = ["CaseCorrectionController"]


class CaseCorrectionController(Controller):
    path = "/cases"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["cases"]  # noqa: RUF012

    @patch(
        "/{case_id:uuid}",
        opt=action(Action.CORRECT_CASE),
        responses=problems(404, 409, 422),
        summary="Correct a case (a new revision, with a reason)",
        dto=StrictJSON[CaseCorrectionIn],
        return_dto=None,
    )
    async def correct(
        self,
        principal: NamedDependency[Principal],
        corrections: NamedDependency[CorrectionService],
        cases: NamedDependency[CaseService],
        case_id: FromPath[UUID],
        data: JSONBody[CaseCorrectionIn],
    ) -> CaseOut:
        """Any submitted field but ``kif_unit``; every rule is checked again on the merged
        case. List versions already written keep what they hold."""
        await corrections.correct(principal, str(case_id), data.changes(), nfc(data.reason))
        return detail(principal, await cases.get(principal, str(case_id)))

    @get(
        "/{case_id:uuid}/revisions",
        opt=action(Action.READ_REVISIONS),
        responses=problems(404),
        summary="The revisions of a case",
    )
    async def revisions(
        self,
        principal: NamedDependency[Principal],
        corrections: NamedDependency[CorrectionService],
        case_id: FromPath[UUID],
    ) -> RevisionPage:
        found = await corrections.revisions(principal, str(case_id))
        return RevisionPage(
            items=[
                RevisionOut(
                    revision=r.revision,
                    fields=list(r.fields),
                    reason=r.reason,
                    by=r.by_sub,
                    at=r.at,
                )
                for r in found
            ]
        )

    @post(
        "/{case_id:uuid}/withdraw",
        opt=action(Action.WITHDRAW_CASE),
        responses=problems(404, 409, 422),
        summary="Withdraw a case",
        status_code=200,
        dto=StrictJSON[WithdrawIn],
        return_dto=None,
    )
    async def withdraw(
        self,
        principal: NamedDependency[Principal],
        corrections: NamedDependency[CorrectionService],
        case_id: FromPath[UUID],
        data: JSONBody[WithdrawIn],
    ) -> WithdrawOut:
        """Status ``withdrawn``: the case can no longer be added to a list."""
        case, revision = await corrections.withdraw(principal, str(case_id), nfc(data.reason))
        return WithdrawOut(id=case.id, status=case.status, revision=revision)

    @post(
        "/search",
        opt=action(Action.SEARCH_CASES),
        responses=problems(422),
        summary="A person's cases routed to the caller's KiF unit, by CPR in the body",
        status_code=200,
        dto=StrictJSON[CaseSearchIn],
        return_dto=None,
    )
    async def search(
        self,
        principal: NamedDependency[Principal],
        cases: NamedDependency[CaseService],
        data: JSONBody[CaseSearchIn],
    ) -> CaseSearchOut:
        """The CPR number travels in the body, never in a URL; the search is access-logged."""
        found = await cases.search(principal, data.cpr)
        return CaseSearchOut(items=[summary_of(principal, case) for case in found])
