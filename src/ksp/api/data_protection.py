"""``/api/v1/audit/erasure`` and ``/api/v1/audit/subject-access``: one person's erasure on a
recorded decision (kif asks, an auditor countersigns), and a data subject's extract (the CPR
number in the body, never in a URL)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.schemas.data_protection import (
    ErasureCarriedOut,
    ErasureRequestIn,
    ErasureRequestOut,
    SubjectAccessIn,
)
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.subject_access import Holdings
from ksp.printing import PdfRenderer
from ksp.rendering import render_subject_access
from ksp.services.retention import ErasureService
from ksp.services.subject_access import SubjectAccessService

__all__ = ["DataProtectionController"]


_JSON, _PDF = "application/json", "application/pdf"


class DataProtectionController(Controller):
    path = "/audit"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["data protection"]  # noqa: RUF012

    @post(
        "/erasure",
        opt=action(Action.REQUEST_ERASURE),
        responses=problems(404, 422),
        summary="Ask for a person's erasure (kif; carried out when an auditor countersigns)",
        status_code=202,
        dto=StrictJSON[ErasureRequestIn],
        return_dto=None,
    )
    async def request_erasure(
        self,
        principal: NamedDependency[Principal],
        erasure: NamedDependency[ErasureService],
        data: JSONBody[ErasureRequestIn],
    ) -> ErasureRequestOut:
        made = await erasure.request(principal, data.cpr, data.reason)
        return ErasureRequestOut(
            id=made.id, status="awaiting-countersignature", requested_at=made.requested_at
        )

    @post(
        "/erasure/{request_id:uuid}/countersign",
        opt=action(Action.COUNTERSIGN_ERASURE),
        responses=problems(404, 409),
        summary="Countersign an erasure request (auditor): the person's data is erased",
        status_code=200,
    )
    async def countersign(
        self,
        principal: NamedDependency[Principal],
        erasure: NamedDependency[ErasureService],
        request_id: FromPath[UUID],
    ) -> ErasureCarriedOut:
        done = await erasure.countersign(principal, str(request_id))
        request = done.request
        assert request.erasure_seq is not None
        assert request.countersigned_at is not None
        return ErasureCarriedOut(
            id=request.id,
            status="erased",
            erasure_seq=request.erasure_seq,
            entries_erased=done.entries,
            rows_erased=done.rows,
            countersigned_at=request.countersigned_at,
        )

    @post(
        "/subject-access",
        opt=action(Action.SUBJECT_ACCESS),
        responses=problems(422, 503),
        summary="A data subject's extract (JSON, or a Danish PDF with Accept: application/pdf)",
        status_code=200,
        dto=StrictJSON[SubjectAccessIn],
        return_dto=None,
    )
    async def subject_access(
        self,
        principal: NamedDependency[Principal],
        subject_access: NamedDependency[SubjectAccessService],
        request: Request[Any, Any, Any],
        data: JSONBody[SubjectAccessIn],
        printer: NamedDependency[PdfRenderer],
    ) -> Response[Holdings] | Response[bytes]:
        found = await subject_access.extract(principal, data.cpr, with_staff=data.with_staff)
        if request.accept.best_match([_JSON, _PDF]) != _PDF:
            return Response(found)
        return Response(
            await printer.render(render_subject_access(found)),
            media_type=_PDF,
            headers={"Content-Disposition": 'attachment; filename="ksp-indsigt.pdf"'},
        )
