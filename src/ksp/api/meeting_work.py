"""The meeting secretariat's routes: reschedule and cancel, attendance, outcomes, actions,
the worklist and the invitation (CONTRACT.md, "Meetings (issue 8)")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from ksp.api.auth import action, authorised, principal_of
from ksp.api.docs import problems
from ksp.api.meeting_work_schemas import (
    ActionOut,
    ActionPage,
    ActionStatusIn,
    AttendanceIn,
    AttendanceOut,
    AttendeeIn,
    CancelIn,
    DueItemOut,
    MeetingChangeIn,
    OutcomeIn,
    OutcomeList,
    OutcomeOut,
    RecordedOutcomeOut,
    Worklist,
)
from ksp.api.meetings import meeting_out
from ksp.api.schemas import MeetingOut, nfc, strictly
from ksp.domain.access import Action
from ksp.domain.actions import ActionStatus, ActionView, is_overdue
from ksp.domain.attendance import Attendee
from ksp.domain.meeting_status import Reschedule
from ksp.domain.outcomes import ActionDraft, OutcomeDraft
from ksp.mail.invitation import invitation_ics
from ksp.services.meeting_work import MeetingWorkService

__all__ = ["ActionController", "MeetingWorkController", "worklist"]

CALENDAR = "text/calendar; charset=utf-8; method="


def _action_out(view: ActionView, today: dt.date) -> ActionOut:
    return ActionOut(
        id=view.id,
        meeting_id=view.meeting_id,
        case_id=view.case_id,
        agency=view.agency,
        unit=view.unit,
        description=view.description,
        due_on=view.due_on,
        status=view.status,
        note=view.note,
        overdue=is_overdue(view, today),
    )


class MeetingWorkController(Controller):
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
    )
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
        data: JSONBody[MeetingChangeIn],
    ) -> MeetingOut:
        data = await strictly(request, MeetingChangeIn)
        change = Reschedule(
            reason=nfc(data.reason),
            scheduled_for=data.scheduled_for,
            location=None if data.location is None else nfc(data.location),
            title=None if data.title is None else nfc(data.title),
        )
        moved = await meeting_work.reschedule(principal_of(request), str(meeting_id), change)
        return meeting_out(moved)

    @post(
        "/cancel",
        opt=action(Action.MANAGE_MEETING),
        responses=problems(404, 409, 422),
        summary="Cancel a meeting",
        description="Afterwards the meeting takes no list change, attendance, outcome or "
        "circulation (409 meeting-cancelled).",
        status_code=200,
    )
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
        data: JSONBody[CancelIn],
    ) -> MeetingOut:
        data = await strictly(request, CancelIn)
        principal = principal_of(request)
        return meeting_out(await meeting_work.cancel(principal, str(meeting_id), nfc(data.reason)))

    @put(
        "/attendance",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404, 409, 422),
        summary="Record who attended (the meeting is then held)",
    )
    async def record_attendance(
        self,
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
        data: JSONBody[AttendanceIn],
    ) -> AttendanceOut:
        data = await strictly(request, AttendanceIn)
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
        number, meeting = await meeting_work.record_attendance(
            principal_of(request), str(meeting_id), attendees
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
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
    ) -> AttendanceOut:
        principal = principal_of(request)
        number, meeting, attendees = await meeting_work.attendance(principal, str(meeting_id))
        return AttendanceOut(
            meeting_id=meeting.id,
            status=meeting.status,
            number=number,
            attendees=[AttendeeIn(**a) for a in attendees],  # type: ignore[arg-type]
        )

    @post(
        "/outcomes",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404, 409, 422),
        summary="Record a case's outcome and the actions agreed",
        description="The case must be on the latest list version. Each outcome is an "
        "exchange of information (guide 3.3.7) and opens the case's notification and note "
        "duties. A second outcome for a case names the current one in `corrects`.",
        status_code=201,
    )
    async def record_outcome(
        self,
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
        data: JSONBody[OutcomeIn],
    ) -> RecordedOutcomeOut:
        data = await strictly(request, OutcomeIn)
        draft = OutcomeDraft(
            case_id=str(data.case_id),
            summary=nfc(data.summary),
            decision=data.decision,
            actions=tuple(
                ActionDraft(a.agency, a.unit, nfc(a.description), a.due_on) for a in data.actions
            ),
            corrects=None if data.corrects is None else str(data.corrects),
        )
        made = await meeting_work.record_outcome(principal_of(request), str(meeting_id), draft)
        return RecordedOutcomeOut(
            id=made.id, action_ids=list(made.action_ids), exchange_id=made.exchange_id
        )

    @get(
        "/outcomes",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404),
        summary="The current outcome of each case discussed, with its actions",
    )
    async def outcomes(
        self,
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
    ) -> OutcomeList:
        principal = principal_of(request)
        found, actions = await meeting_work.outcomes(principal, str(meeting_id))
        today = meeting_work.today()
        return OutcomeList(
            items=[
                OutcomeOut(
                    id=o.id,
                    case_id=o.case_id,
                    decision=o.decision,
                    summary=o.summary,
                    corrects=o.corrects,
                    exchange_id=o.exchange_id,
                    created_at=o.created_at,
                    actions=[_action_out(a, today) for a in actions.get(o.id, [])],
                )
                for o in found
            ]
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
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        meeting_id: FromPath[UUID],
    ) -> Response[bytes]:
        facts = await meeting_work.invitation(principal_of(request), str(meeting_id))
        method = "CANCEL" if facts.cancelled else "REQUEST"
        return Response(invitation_ics(facts), media_type=CALENDAR + method)


class ActionController(Controller):
    path = "/actions"
    guards = [authorised]  # noqa: RUF012
    tags = ["meetings"]  # noqa: RUF012

    @get(
        "/",
        opt=action(Action.READ_ACTIONS),
        responses=problems(),
        summary="Actions agreed at meetings",
        description="KiF: the actions of its meetings. A participant: the actions its unit owns.",
    )
    async def list_actions(
        self,
        meeting_work: NamedDependency[MeetingWorkService],
        request: Request[Any, Any, Any],
        status: Annotated[
            Literal["open", "overdue", "done", "all"], QueryParameter(required=False)
        ] = "open",
    ) -> ActionPage:
        found = await meeting_work.actions(principal_of(request), status)
        today = meeting_work.today()
        return ActionPage(items=[_action_out(a, today) for a in found])

    @post(
        "/{action_id:uuid}/status",
        opt=action(Action.UPDATE_ACTION),
        responses=problems(404, 409, 422),
        summary="Close an action as done or not done",
        description="`not-done-*` and `cancelled` need a `note`. Only open actions change.",
        status_code=200,
    )
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        meeting_work: NamedDependency[MeetingWorkService],
        action_id: FromPath[UUID],
        data: JSONBody[ActionStatusIn],
    ) -> ActionOut:
        data = await strictly(request, ActionStatusIn)
        note = None if data.note is None else nfc(data.note)
        changed = await meeting_work.change_action_status(
            principal_of(request), str(action_id), ActionStatus(data.status), note
        )
        return _action_out(changed, meeting_work.today())


@get(
    "/worklist",
    opt=action(Action.READ_WORKLIST),
    guards=[authorised],
    responses=problems(),
    summary="What KiF has to do next",
    description="Meetings within 7 days whose latest list was not circulated; held meetings "
    "without minutes after 3 working days; overdue actions; exchanges with open duties; "
    "withdrawn cases still on a latest list.",
    tags=["meetings"],
)
async def worklist(
    request: Request[Any, Any, Any], meeting_work: NamedDependency[MeetingWorkService]
) -> Worklist:
    items = await meeting_work.worklist(principal_of(request))
    return Worklist(
        items=[
            DueItemOut(
                kind=i.kind.value, reference=i.reference, meeting_id=i.meeting_id, due_on=i.due_on
            )
            for i in items
        ]
    )
