"""A participant's pages (municipal or police staff): the versions of a meeting's list
circulated to their unit, and proposing a citizen for a meeting they take part in, with
only the facts they have (guide 3.3.7: participants "supplement the list"; the case goes to
the meeting's KiF unit for triage like any other).

Their meetings and a meeting's facts are ``GET /moeder`` and ``GET /moeder/{id}``
(``ksp.web.kif_meetings``, by role).
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.crypto import KeyedHasher
from ksp.domain.access import Action, Principal
from ksp.domain.cases import CaseDraft, Custody
from ksp.domain.errors import FieldError, KspError, NotFound
from ksp.domain.meetings import Meeting
from ksp.rendering import CUSTODY_DA
from ksp.services.cases import CaseService, IdempotencyRequest
from ksp.services.circulation_history import CirculationHistoryService
from ksp.services.meetings import MeetingService
from ksp.web.kif_forms import NO_REFUSAL, Form, Refusal, form_of
from ksp.web.kif_meetings import meeting_labels_context
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["ParticipantPages"]

AnyRequest = Request[Any, Any, Any]
_RENAMED = {"subject.name": "name", "subject.cpr": "cpr"}
_FIELDS = (
    "name",
    "cpr",
    "custody",
    "security_notified_on",
    "concern",
    "detained_since",
    "released_on",
)


def _proposal_page(
    request: AnyRequest,
    meeting: Meeting,
    refusal: Refusal = NO_REFUSAL,
) -> Response[str]:
    return page(
        request,
        "web/participant/propose.html.j2",
        status=refusal.status,
        meeting=meeting,
        custodies=CUSTODY_DA,
        **refusal.context(),
        **meeting_labels_context(),
    )


def _draft(form: Form, meeting: Meeting) -> CaseDraft:
    """The facts a participant has; the meeting gives the municipality, police district
    and KiF unit."""
    name, cpr = form.text("name", required=True), form.text("cpr", required=True)
    custody = form.text("custody", required=True)
    if custody and custody not in CUSTODY_DA:
        form.errors.append(FieldError("custody", "is required"))
    concern = form.text("concern", required=True)
    detained_since = form.date("detained_since", required=True)
    notified, released = form.date("security_notified_on"), form.date("released_on")
    form.check()
    assert detained_since is not None
    return CaseDraft(
        name=name,
        cpr=cpr,
        custody=Custody(custody),
        radicalisation_concern=form.checked("radicalisation_concern"),
        security_notified_on=notified,
        concern=concern,
        municipality_code=meeting.municipality_code,
        police_district=meeting.police_district,
        kif_unit=meeting.kif_unit,
        detained_since=detained_since,
        released_on=released,
        urgent=form.checked("urgent"),
        meeting_id=meeting.id,
    )


def _idempotency(hasher: KeyedHasher, principal: Principal, form: Form) -> IdempotencyRequest:
    """The form's own key: posting the same form twice (a reload) submits one case."""
    key = form.text("form_key") or str(uuid.uuid4())
    facts = "\x1f".join([principal.sub, *(form.text(f) for f in _FIELDS)])
    return IdempotencyRequest(
        key=hasher.digest("idempotency-key", key.encode()).hex(),
        digest=hasher.digest("idempotency", facts.encode()),
    )


class ParticipantPages(Controller):
    path = "/"

    @get(
        "/moeder/{meeting_id:uuid}/foreslaa",
        opt=action(Action.READ_MEETINGS),
        include_in_schema=False,
    )
    async def proposal_form(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        meeting_id: FromPath[UUID],
    ) -> Response[str]:
        fresh = Refusal(values={"form_key": str(uuid.uuid4())})
        meeting = await meetings.get(visitor.principal, str(meeting_id))
        return _proposal_page(request, meeting, fresh)

    @post(
        "/moeder/{meeting_id:uuid}/foreslaa",
        opt=action(Action.SUBMIT_CASE),
        include_in_schema=False,
    )
    async def propose(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        cases: NamedDependency[CaseService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        meeting = await meetings.get(visitor.principal, str(meeting_id))
        form = await form_of(request)
        values: dict[str, Any] = {name: form.text(name) for name in (*_FIELDS, "form_key")}
        values |= {k: form.checked(k) for k in ("radicalisation_concern", "urgent")}
        try:
            draft = _draft(form, meeting)
            hasher: KeyedHasher = request.app.state.hasher
            await cases.submit(
                visitor.principal, draft, _idempotency(hasher, visitor.principal, form)
            )
        except KspError as exc:
            return _proposal_page(request, meeting, Refusal.of(exc, values, _RENAMED))
        return Redirect(f"/moeder/{meeting_id}?foreslaaet=1", status_code=303)

    @get(
        "/moeder/{meeting_id:uuid}/udsendt/{document_id:uuid}/{n:int}",
        opt=action(Action.READ_MEETINGS),
        include_in_schema=False,
    )
    async def circulated_version(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        circulation_history: NamedDependency[CirculationHistoryService],
        meeting_id: FromPath[UUID],
        document_id: FromPath[UUID],
        n: FromPath[int],
    ) -> Response[str]:
        """A version circulated to the participant's unit; the read is access-logged with
        purpose ``meeting-preparation``."""
        meeting = await meetings.get(visitor.principal, str(meeting_id))
        found = await circulation_history.circulated_version(visitor.principal, str(document_id), n)
        if found.meeting_id != meeting.id:
            raise NotFound
        return page(
            request,
            "web/participant/version.html.j2",
            meeting=meeting,
            version=found,
            **meeting_labels_context(),
        )
