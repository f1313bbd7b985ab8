"""``/api/v1/meetings``: meetings, their KSP list, and the list's versions."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.dependencies import PageOut, page_of
from ksp.api.docs import problems
from ksp.api.schemas.common import nfc
from ksp.api.schemas.meetings import (
    DocumentVersionsOut,
    ListChangeIn,
    MeetingIn,
    MeetingOut,
    NewVersionOut,
    VersionSummaryOut,
)
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.danish_time import in_copenhagen
from ksp.domain.lists import ListChange
from ksp.domain.meetings import Meeting, MeetingDraft
from ksp.services.documents import DocumentService
from ksp.services.meetings import MeetingService
from ksp.services.ports import Page

__all__ = ["MeetingController", "meeting_out"]


def meeting_out(meeting: Meeting) -> MeetingOut:
    """The meeting as the API shows it: ``scheduled_for`` always on Copenhagen time
    (+01:00 or +02:00), whatever offset it was given with."""
    return MeetingOut(
        id=meeting.id,
        kif_unit=meeting.kif_unit,
        municipality_code=meeting.municipality_code,
        police_district=meeting.police_district,
        scheduled_for=in_copenhagen(meeting.scheduled_for),
        title=meeting.title,
        created_at=meeting.created_at,
        status=meeting.status,
        location=meeting.location,
        sequence=meeting.sequence,
    )


class MeetingController(Controller):
    path = "/meetings"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["meetings"]  # noqa: RUF012

    @post(
        "/",
        opt=action(Action.CREATE_MEETING),
        responses=problems(422),
        summary="Call a KSP meeting",
        status_code=201,
        dto=StrictJSON[MeetingIn],
        return_dto=None,
    )
    async def create(
        self,
        principal: NamedDependency[Principal],
        meetings: NamedDependency[MeetingService],
        data: JSONBody[MeetingIn],
    ) -> MeetingOut:
        draft = MeetingDraft(
            data.municipality_code, data.police_district, data.scheduled_for, nfc(data.title)
        )
        return meeting_out(await meetings.create(principal, draft))

    @get("/", opt=action(Action.READ_MEETINGS), responses=problems(), summary="List meetings")
    async def list_meetings(
        self,
        principal: NamedDependency[Principal],
        meetings: NamedDependency[MeetingService],
        page: NamedDependency[Page],
    ) -> PageOut[MeetingOut]:
        found = await meetings.find(principal, page)
        return page_of([meeting_out(m) for m in found], page)

    @get(
        "/{meeting_id:uuid}",
        opt=action(Action.READ_MEETINGS),
        responses=problems(404),
        summary="Read a meeting",
    )
    async def read(
        self,
        principal: NamedDependency[Principal],
        meetings: NamedDependency[MeetingService],
        meeting_id: FromPath[UUID],
    ) -> MeetingOut:
        return meeting_out(await meetings.get(principal, str(meeting_id)))

    @post(
        "/{meeting_id:uuid}/list",
        opt=action(Action.CHANGE_LIST),
        responses=problems(404, 409, 422),
        summary="Change the KSP list: a new version",
        status_code=201,
        dto=StrictJSON[ListChangeIn],
        return_dto=None,
    )
    async def change_list(
        self,
        principal: NamedDependency[Principal],
        meetings: NamedDependency[MeetingService],
        meeting_id: FromPath[UUID],
        data: JSONBody[ListChangeIn],
    ) -> NewVersionOut:
        change = ListChange(
            add=tuple(str(c) for c in data.add),
            remove=tuple(str(c) for c in data.remove),
            reason=nfc(data.reason),
            base_version=data.base_version,
        )
        made = await meetings.change_list(principal, str(meeting_id), change)
        return NewVersionOut(document_id=made.document_id, version=made.version, sha256=made.sha256)

    @get(
        "/{meeting_id:uuid}/documents",
        opt=action(Action.READ_DOCUMENTS),
        responses=problems(404),
        summary="The versions of the meeting's KSP list and minutes, each with its kind",
    )
    async def documents(
        self,
        principal: NamedDependency[Principal],
        documents: NamedDependency[DocumentService],
        meeting_id: FromPath[UUID],
    ) -> DocumentVersionsOut:
        document_id, versions = await documents.versions_of_meeting(principal, str(meeting_id))
        return DocumentVersionsOut(
            document_id=document_id,
            versions=[
                VersionSummaryOut(
                    kind=kind,
                    document_id=v.document_id,
                    version=v.version,
                    sha256=v.sha256,
                    created_at=v.created_at,
                    created_by=v.created_by_sub,
                    reason=v.reason,
                    entry_count=v.entry_count,
                )
                for kind, v in versions
            ],
        )
