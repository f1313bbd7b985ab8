"""A meeting's lifecycle routes: reschedule, cancel, attendance and the invitation
(CONTRACT.md, "Meetings (issue 8)")."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from ksp.api.auth import action, authorised
from ksp.api.circulation import delivery_out
from ksp.api.docs import problems
from ksp.api.meeting_work_schemas import (
    AttendanceIn,
    AttendanceOut,
    AttendeeIn,
    CancelIn,
    CancellationOut,
    MeetingChangeIn,
)
from ksp.api.meetings import meeting_out
from ksp.api.schemas.common import nfc
from ksp.api.schemas.meetings import MeetingOut
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.attendance import Attendee
from ksp.domain.meeting_status import Reschedule
from ksp.mail.invitation import invitation_ics
from ksp.services.meeting_lifecycle import MeetingLifecycleService

__all__ = ["MeetingLifecycleController"]

CALENDAR = "text/calendar; charset=utf-8; method="


class MeetingLifecycleController(Controller):
    path = "/meetings/{meeting_id:uuid}"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["meetings"]  # noqa: RUF012

    @patch(
        "/",
        opt=action(Action.MANAGE_MEETING),
        responses=problems(404, 409, 422),
        summary="Reschedule a meeting, or correct its place or title",
        description="A new time only while planned, never in the past; it raises the "
        "invitation's SEQUENCE. `reason` is required.",
        dto=StrictJSON[MeetingChangeIn],
        return_dto=None,
    )
    async def reschedule(
        self,
        principal: NamedDependency[Principal],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
        data: JSONBody[MeetingChangeIn],
    ) -> MeetingOut:
        change = Reschedule(
            reason=nfc(data.reason),
            scheduled_for=data.scheduled_for,
            location=None if data.location is None else nfc(data.location),
            title=None if data.title is None else nfc(data.title),
        )
        moved = await meeting_lifecycle.reschedule(principal, str(meeting_id), change)
        return meeting_out(moved)

    @post(
        "/cancel",
        opt=action(Action.MANAGE_MEETING),
        responses=problems(404, 409, 422),
        summary="Cancel a meeting",
        description="Afterwards the meeting takes no list change, attendance, outcome or "
        "circulation (409 meeting-cancelled). Each participant is sent a signed, encrypted "
        "notice carrying the invitation with METHOD:CANCEL (see `GET .../cancellation`); "
        "a participant's unusable key refuses the cancellation (422).",
        status_code=200,
        dto=StrictJSON[CancelIn],
        return_dto=None,
    )
    async def cancel(
        self,
        principal: NamedDependency[Principal],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
        data: JSONBody[CancelIn],
    ) -> MeetingOut:
        return meeting_out(
            await meeting_lifecycle.cancel(principal, str(meeting_id), nfc(data.reason))
        )

    @get(
        "/cancellation",
        opt=action(Action.MANAGE_MEETING),
        responses=problems(404),
        summary="How each participant's cancellation notice went",
        description="Cancelling sends each participant a signed, encrypted notice without "
        "personal data carrying the invitation with METHOD:CANCEL; one delivery per "
        "participant, retried like a circulation's. Empty before the cancellation.",
    )
    async def cancellation(
        self,
        principal: NamedDependency[Principal],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> CancellationOut:
        meeting, deliveries = await meeting_lifecycle.cancellation_notices(
            principal, str(meeting_id)
        )
        return CancellationOut(
            meeting_id=meeting.id,
            status=meeting.status,
            sequence=meeting.sequence,
            recipients=[delivery_out(d) for d in deliveries],
        )

    @put(
        "/attendance",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404, 409, 422),
        summary="Record who attended (the meeting is then held)",
        dto=StrictJSON[AttendanceIn],
        return_dto=None,
    )
    async def record_attendance(
        self,
        principal: NamedDependency[Principal],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
        data: JSONBody[AttendanceIn],
    ) -> AttendanceOut:
        attendees = [
            Attendee(
                name=nfc(a.name),
                agency=a.agency,
                unit=a.unit,
                role=a.role,
                present=a.present,
                confidentiality_acknowledged=a.confidentiality_acknowledged,
            )
            for a in data.attendees
        ]
        number, meeting = await meeting_lifecycle.record_attendance(
            principal, str(meeting_id), attendees
        )
        return AttendanceOut(
            meeting_id=meeting.id, status=meeting.status, number=number, attendees=data.attendees
        )

    @get(
        "/attendance",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404),
        summary="Who attended (access-logged: attendee names are staff personal data)",
    )
    async def attendance(
        self,
        principal: NamedDependency[Principal],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> AttendanceOut:
        number, meeting, attendees = await meeting_lifecycle.attendance(principal, str(meeting_id))
        return AttendanceOut(
            meeting_id=meeting.id,
            status=meeting.status,
            number=number,
            attendees=[AttendeeIn(**a) for a in attendees],  # type: ignore[arg-type]
        )

    @get(
        "/invitation.ics",
        opt=action(Action.READ_INVITATION),
        responses=problems(404),
        summary="The meeting's invitation (RFC 5545)",
        media_type="text/calendar",
    )
    async def invitation(
        self,
        principal: NamedDependency[Principal],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> Response[bytes]:
        facts = await meeting_lifecycle.invitation(principal, str(meeting_id))
        method = "CANCEL" if facts.cancelled else "REQUEST"
        return Response(invitation_ics(facts), media_type=CALENDAR + method)
