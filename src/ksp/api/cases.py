"""``/api/v1/cases``: submit, list, read, triage (and correct a triage)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.dependencies import PageOut, page_of
from ksp.api.docs import problems
from ksp.api.schemas.cases import (
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    MeetingListingOut,
    SubjectOut,
    Submission,
    TriageIn,
    TriageOut,
    TriageRecordOut,
)
from ksp.api.schemas.common import nfc
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal, sees_full_cpr, sees_personal_data
from ksp.domain.cases import Case, CaseDraft, CaseStatus
from ksp.domain.errors import FieldError, InvalidInput
from ksp.services.cases import CaseService, CaseView, IdempotencyRequest
from ksp.services.ports import Page

__all__ = ["CaseController", "detail", "summary_of"]

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", required=False, max_length=200),
]


def _draft(data: JSONBody[CaseIn]) -> CaseDraft:
    return CaseDraft(
        name=nfc(data.subject.name),
        cpr=data.subject.cpr,
        custody=data.custody,
        radicalisation_concern=data.radicalisation_concern,
        security_notified_on=data.security_notified_on,
        concern=nfc(data.concern),
        municipality_code=data.municipality_code,
        police_district=data.police_district,
        kif_unit=data.kif_unit,
        detained_since=data.detained_since,
        released_on=data.released_on,
        urgent=data.urgent,
        meeting_id=None if data.meeting_id is None else str(data.meeting_id),
    )


def _subject(principal: Principal, case: Case) -> SubjectOut:
    cpr = case.cpr.formatted if sees_full_cpr(principal) else case.cpr.masked
    name = case.name if sees_personal_data(principal) else None
    return SubjectOut(cpr=cpr, name=name)


def summary_of(principal: Principal, case: Case) -> CaseSummaryOut:
    return CaseSummaryOut(
        id=case.id,
        status=case.status,
        custody=case.custody,
        radicalisation_concern=case.radicalisation_concern,
        urgent=case.urgent,
        municipality_code=case.municipality_code,
        police_district=case.police_district,
        kif_unit=case.kif_unit,
        meeting_id=case.meeting_id,
        submitted_at=case.submitted_at,
        submitted_by_unit=case.submitted_by.unit,
        subject=_subject(principal, case),
    )


def detail(principal: Principal, view: CaseView) -> CaseOut:
    """The case as the caller may see it: personal data (and reasons) only to jail and KiF."""
    case = view.case
    summary = msgspec.structs.asdict(summary_of(principal, case))
    personal = sees_personal_data(principal)
    triage = case.triage
    return CaseOut(
        **summary,
        detained_since=case.detained_since,
        released_on=case.released_on,
        security_notified_on=case.security_notified_on,
        concern=case.concern if personal else None,
        triage_decision=None if triage is None else triage.decision,
        triage_reason=triage.reason if triage is not None and personal else None,
        triaged_at=None if triage is None else triage.at,
        triage_history=[
            TriageRecordOut(
                decision=t.decision,
                reason=t.reason if personal else None,
                at=t.at,
                by=t.by_sub,
                corrects=t.corrects,
            )
            for t in view.triage_history
        ],
        revision=view.revision,
        meetings=[MeetingListingOut(meeting_id=m, version=v) for m, v in view.meetings],
    )


def _idempotency(
    request: Request[Any, Any, Any], key: str | None, data: JSONBody[CaseIn]
) -> IdempotencyRequest | None:
    if key is None:
        return None
    if not key.isascii() or not key.isprintable() or not key.strip():
        raise InvalidInput([FieldError("Idempotency-Key", "must be 1 to 200 printable ASCII")])
    digest = request.app.state.hasher.digest("idempotency", msgspec.json.encode(data))
    # The key is stored as an HMAC: clients sometimes build keys from what they send.
    stored_key = request.app.state.hasher.digest("idempotency-key", key.encode()).hex()
    return IdempotencyRequest(key=stored_key, digest=digest)


class CaseController(Controller):
    path = "/cases"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["cases"]  # noqa: RUF012

    @post(
        "/",
        opt=action(Action.SUBMIT_CASE),
        responses=problems(404, 409, 422),
        summary="Submit a case",
        status_code=201,
        dto=StrictJSON[CaseIn],
        return_dto=None,
    )
    async def submit(
        self,
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
        data: JSONBody[CaseIn],
        cases: NamedDependency[CaseService],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Submission]:
        submitted = await cases.submit(
            principal, _draft(data), _idempotency(request, idempotency_key, data)
        )
        headers = {"Idempotent-Replayed": "true"} if submitted.replayed else {}
        body = Submission(
            id=submitted.case_id,
            status=submitted.status,
            possible_duplicates=list(submitted.possible_duplicates),
        )
        return Response(body, status_code=201, headers=headers)

    @get("/", opt=action(Action.LIST_CASES), responses=problems(), summary="List cases")
    async def list_cases(
        self,
        principal: NamedDependency[Principal],
        cases: NamedDependency[CaseService],
        page: NamedDependency[Page],
        status: FromQuery[CaseStatus | None] = None,
        meeting_id: FromQuery[UUID | None] = None,
    ) -> PageOut[CaseSummaryOut]:
        found = await cases.find(
            principal,
            page,
            status=status,
            meeting_id=None if meeting_id is None else str(meeting_id),
        )
        return page_of([summary_of(principal, case) for case in found], page)

    @get(
        "/{case_id:uuid}",
        opt=action(Action.READ_CASE),
        responses=problems(404),
        summary="Read a case",
    )
    async def read(
        self,
        principal: NamedDependency[Principal],
        cases: NamedDependency[CaseService],
        case_id: FromPath[UUID],
    ) -> CaseOut:
        return detail(principal, await cases.get(principal, str(case_id)))

    @post(
        "/{case_id:uuid}/triage",
        opt=action(Action.TRIAGE_CASE),
        responses=problems(404, 409, 422),
        summary="Triage a case",
        status_code=200,
        dto=StrictJSON[TriageIn],
        return_dto=None,
    )
    async def triage(
        self,
        principal: NamedDependency[Principal],
        cases: NamedDependency[CaseService],
        case_id: FromPath[UUID],
        data: JSONBody[TriageIn],
    ) -> TriageOut:
        reason = None if data.reason is None else nfc(data.reason)
        case = await cases.triage(
            principal, str(case_id), data.decision, reason, corrects=data.corrects
        )
        assert case.triage is not None
        return TriageOut(
            id=case.id,
            status=case.status,
            decision=case.triage.decision,
            triaged_at=case.triage.at,
        )
