"""Changing a meeting from its page, as ``PATCH /api/v1/meetings/{id}`` and ``POST
/api/v1/meetings/{id}/cancel`` do: ``POST /moeder/{id}/flyt`` moves a planned meeting (never
into the past; the invitation's SEQUENCE is raised) or corrects its place, with a reason;
``POST /moeder/{id}/aflys`` cancels it with a reason. A refusal comes back on the meeting's
page, next to the form's fields and in its error summary, or as the Danish sentence of a
409 (cancelled, or a status that no longer allows it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.domain.access import Action
from ksp.domain.errors import KspError
from ksp.domain.meeting_status import MeetingStatus, Reschedule
from ksp.domain.meetings import Meeting
from ksp.services.circulation import CirculationService
from ksp.services.meeting_lifecycle import MeetingLifecycleService
from ksp.services.meetings import MeetingService
from ksp.web.kif_forms import Form, Refusal, form_of
from ksp.web.kif_meetings import kif_meeting_page
from ksp.web.visitor import Visitor

__all__ = ["MOVE_FIELDS", "MeetingChangePages", "reschedule_of"]

AnyRequest = Request[Any, Any, Any]
MOVE_FIELDS = ("date", "time", "location", "reason")


def reschedule_of(form: Form, meeting: Meeting) -> Reschedule:
    """What the move form changes: a new time only if it differs (and only a planned
    meeting has the time fields), the place only if it differs; nothing changed is left to
    the service's rule (``must change scheduled_for, location or title``)."""
    when: dt.datetime | None = None
    if meeting.status is MeetingStatus.PLANNED:
        when = form.copenhagen_time("date", "time")
    location = form.text("location")
    reason = form.text("reason")
    form.check()
    return Reschedule(
        reason=reason,
        scheduled_for=None if when == meeting.scheduled_for else when,
        location=None if location == (meeting.location or "") else location,
    )


class MeetingChangePages(Controller):
    path = "/moeder/{meeting_id:uuid}"

    @post("/flyt", opt=action(Action.MANAGE_MEETING), include_in_schema=False)
    async def move_meeting(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        circulation: NamedDependency[CirculationService],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        values = {name: form.text(name) for name in MOVE_FIELDS}
        meeting: Meeting | None = None
        try:
            meeting = await meetings.get(visitor.principal, str(meeting_id))
            change = reschedule_of(form, meeting)
            await meeting_lifecycle.reschedule(visitor.principal, str(meeting_id), change)
        except KspError as exc:
            # "Change something" stands next to the first field the form shows.
            planned = meeting is not None and meeting.status is MeetingStatus.PLANNED
            renamed = {"scheduled_for": "date", "body": "date" if planned else "location"}
            refusal = Refusal.of(exc, values, renamed)
            return await kif_meeting_page(
                request, visitor, meetings, circulation, str(meeting_id), refusal, "flyt"
            )
        return Redirect(f"/moeder/{meeting_id}?gemt=flyttet", status_code=303)

    @post("/aflys", opt=action(Action.MANAGE_MEETING), include_in_schema=False)
    async def cancel_meeting(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        circulation: NamedDependency[CirculationService],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        reason = form.text("reason")
        try:
            await meeting_lifecycle.cancel(visitor.principal, str(meeting_id), reason)
        except KspError as exc:
            refusal = Refusal.of(exc, {"reason": reason})
            return await kif_meeting_page(
                request, visitor, meetings, circulation, str(meeting_id), refusal, "aflys"
            )
        return Redirect(f"/moeder/{meeting_id}?gemt=aflyst", status_code=303)
