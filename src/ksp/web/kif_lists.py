"""The list builder (guide 3.3.7: "KiF er desuden ansvarlig for at oprette et KSP-dokument
med de sager, som ønskes drøftet på KSP-møderne"): ``GET /moeder/{id}/liste`` shows the
latest version, the cases KiF may add (triaged to ``meeting`` for the meeting's
municipality and police district) and the version history; ``POST`` makes exactly one new
version; ``/moeder/{id}/liste/{n}`` shows one version and ``/moeder/{id}/forskel`` the
difference of any two.

Every read of the entries is access-logged by the services, with purpose
``meeting-preparation`` (the actions' purpose, as through the API).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.domain.access import Action, Principal
from ksp.domain.cases import CaseStatus
from ksp.domain.errors import FieldError, InvalidInput, KspError, NotFound
from ksp.domain.lists import ListChange
from ksp.domain.meetings import Meeting
from ksp.services.cases import CaseService
from ksp.services.documents import DocumentService
from ksp.services.meetings import MeetingService
from ksp.services.ports import Page, VersionRecord
from ksp.web.kif_forms import NO_REFUSAL, Refusal, form_of
from ksp.web.kif_meetings import meeting_labels_context
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["ListPages", "list_versions"]

AnyRequest = Request[Any, Any, Any]
CANDIDATES_READ = 200  # triaged cases read at once, oldest first


async def list_versions(
    documents: DocumentService, principal: Principal, meeting_id: str
) -> tuple[str | None, list[VersionRecord]]:
    """The meeting's list document and its versions, oldest first (minutes left out)."""
    document_id, versions = await documents.versions_of_meeting(principal, meeting_id)
    return document_id, sorted(
        (v for kind, v in versions if kind == "list"), key=lambda v: v.version
    )


ListServices = tuple[MeetingService, DocumentService, CaseService]


async def _builder(
    request: AnyRequest,
    visitor: Visitor,
    services: ListServices,
    meeting_id: str,
    refusal: Refusal = NO_REFUSAL,
) -> Response[str]:
    meetings, documents, cases = services
    principal = visitor.principal
    meeting = await meetings.get(principal, meeting_id)
    document_id, versions = await list_versions(documents, principal, meeting_id)
    latest = versions[-1].version if versions else 0
    entries = (
        (await documents.version(principal, document_id, latest)).entries
        if document_id is not None and latest
        else ()
    )
    triaged = await cases.find(principal, Page(limit=CANDIDATES_READ), status=CaseStatus.MEETING)
    return page(
        request,
        "web/kif/list_builder.html.j2",
        status=refusal.status,
        meeting=meeting,
        latest=latest,
        entries=entries,
        candidates=[
            c for c in triaged if _may_join(c.municipality_code, c.police_district, meeting)
        ],
        versions=list(reversed(versions)),
        **refusal.context(),
        **meeting_labels_context(),
    )


def _may_join(municipality_code: int, police_district: str, meeting: Meeting) -> bool:
    return (
        municipality_code == meeting.municipality_code
        and police_district == meeting.police_district
    )


async def _document_id(documents: DocumentService, principal: Principal, meeting_id: str) -> str:
    document_id, _ = await list_versions(documents, principal, meeting_id)
    if document_id is None:
        raise NotFound
    return document_id


class ListPages(Controller):
    path = "/"

    @get("/moeder/{meeting_id:uuid}/liste", opt=action(Action.CHANGE_LIST), include_in_schema=False)
    async def list_builder(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        cases: NamedDependency[CaseService],
        meeting_id: FromPath[UUID],
    ) -> Response[str]:
        return await _builder(request, visitor, (meetings, documents, cases), str(meeting_id))

    @post(
        "/moeder/{meeting_id:uuid}/liste", opt=action(Action.CHANGE_LIST), include_in_schema=False
    )
    async def change_list(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        cases: NamedDependency[CaseService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        add, remove, reason = form.all("add"), form.all("remove"), form.text("reason")
        values = {"add": add, "remove": remove, "reason": reason}
        try:
            base = form.integer("base_version")
            form.check()
            change = ListChange(tuple(add), tuple(remove), reason, base or None)
            await meetings.change_list(visitor.principal, str(meeting_id), change)
        except KspError as exc:
            services = (meetings, documents, cases)
            refusal = Refusal.of(exc, values)
            return await _builder(request, visitor, services, str(meeting_id), refusal)
        return Redirect(f"/moeder/{meeting_id}/liste", status_code=303)

    @get(
        "/moeder/{meeting_id:uuid}/liste/{n:int}",
        opt=action(Action.READ_DOCUMENTS),
        include_in_schema=False,
    )
    async def list_version(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        meeting_id: FromPath[UUID],
        n: FromPath[int],
    ) -> Response[str]:
        meeting = await meetings.get(visitor.principal, str(meeting_id))
        document_id = await _document_id(documents, visitor.principal, str(meeting_id))
        found = await documents.version(visitor.principal, document_id, n)
        return page(
            request,
            "web/kif/list_version.html.j2",
            meeting=meeting,
            version=found,
            **meeting_labels_context(),
        )

    @get(
        "/moeder/{meeting_id:uuid}/forskel",
        opt=action(Action.READ_DOCUMENTS),
        include_in_schema=False,
    )
    async def list_diff(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        meeting_id: FromPath[UUID],
        fra: FromQuery[int],
        til: FromQuery[int],
    ) -> Response[str]:
        meeting = await meetings.get(visitor.principal, str(meeting_id))
        document_id, versions = await list_versions(documents, visitor.principal, str(meeting_id))
        known = {v.version for v in versions}
        if document_id is None or fra not in known or til not in known:
            raise InvalidInput([FieldError("fra", "names no version of this list")])
        diff = await documents.diff(visitor.principal, document_id, fra, til)
        return page(
            request,
            "web/kif/list_diff.html.j2",
            meeting=meeting,
            before=fra,
            after=til,
            diff=diff,
            versions=list(reversed(versions)),
            **meeting_labels_context(),
        )
