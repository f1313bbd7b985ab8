"""Circulation (guide 3.3.7: "inden et KSP-møde - at rundsende listen til mødets deltagere
... via sikker mail"): ``GET /moeder/{id}/rundsendelse`` shows each participant's key
status before sending and each message's delivery after; ``POST`` encrypts the latest
version to every participant and queues it.
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
from ksp.domain.errors import KspError, NotFound
from ksp.services.circulation import Again, CirculationService
from ksp.services.circulation_history import CirculationHistoryService
from ksp.services.documents import DocumentService
from ksp.services.meetings import MeetingService
from ksp.web.kif_forms import NO_REFUSAL, Refusal, form_of
from ksp.web.kif_lists import list_versions
from ksp.web.kif_meetings import meeting_labels_context, now_of
from ksp.web.meeting_labels import DELIVERY_STATUS, key_status
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["CirculationPages"]

AnyRequest = Request[Any, Any, Any]


CirculationServices = tuple[
    MeetingService, DocumentService, CirculationService, CirculationHistoryService
]


async def _circulation_page(
    request: AnyRequest,
    visitor: Visitor,
    services: CirculationServices,
    meeting_id: str,
    refusal: Refusal = NO_REFUSAL,
) -> Response[str]:
    meetings, documents, circulation, history = services
    principal = visitor.principal
    meeting = await meetings.get(principal, meeting_id)
    document_id, versions = await list_versions(documents, principal, meeting_id)
    participants = await circulation.participants(principal, meeting_id)
    circulated = list(reversed(await history.of_meeting(principal, meeting_id)))
    latest = versions[-1] if versions else None
    now = now_of(request)
    return page(
        request,
        "web/kif/circulation.html.j2",
        status=refusal.status,
        meeting=meeting,
        document_id=document_id,
        latest=latest,
        latest_circulated=latest is not None
        and any(
            c.circulation.document_id == document_id and c.circulation.version == latest.version
            for c in circulated
        ),
        participants=[(p, key_status(p, now)) for p in participants],
        circulations=circulated,
        delivery_status=DELIVERY_STATUS,
        **refusal.context(),
        **meeting_labels_context(),
    )


class CirculationPages(Controller):
    path = "/"

    @get(
        "/moeder/{meeting_id:uuid}/rundsendelse",
        opt=action(Action.READ_CIRCULATION),
        include_in_schema=False,
    )
    async def circulation_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        circulation: NamedDependency[CirculationService],
        circulation_history: NamedDependency[CirculationHistoryService],
        meeting_id: FromPath[UUID],
    ) -> Response[str]:
        services = (meetings, documents, circulation, circulation_history)
        return await _circulation_page(request, visitor, services, str(meeting_id))

    @post(
        "/moeder/{meeting_id:uuid}/rundsendelse",
        opt=action(Action.CIRCULATE),
        include_in_schema=False,
    )
    async def circulate(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        circulation: NamedDependency[CirculationService],
        circulation_history: NamedDependency[CirculationHistoryService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        again = Again(form.checked("again"), form.optional("reason"))
        services = (meetings, documents, circulation, circulation_history)
        try:
            version = form.integer("version")
            form.check()
            assert version is not None
            document_id, _ = await list_versions(documents, visitor.principal, str(meeting_id))
            if document_id is None:
                raise NotFound
            await circulation.circulate(visitor.principal, document_id, version, again)
        except KspError as exc:
            refusal = Refusal.of(exc)
            return await _circulation_page(request, visitor, services, str(meeting_id), refusal)
        return Redirect(f"/moeder/{meeting_id}/rundsendelse#levering", status_code=303)
