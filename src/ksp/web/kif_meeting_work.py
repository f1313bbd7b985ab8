"""Holding the meeting (guide 3.3.7: KiF calls, holds and presents the KSP meetings):
attendance (``/moeder/{id}/fremmoede``), outcomes with the actions agreed and the minutes
(``/moeder/{id}/afvikling``), the actions and their statuses (``/handlinger``).

Attendee names are staff personal data and the agenda shows the people listed: both
reads are access-logged by the services with purpose ``meeting-preparation``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.domain.access import Action
from ksp.domain.actions import ActionStatus, is_overdue
from ksp.domain.attendance import Agency, Attendee, AttendeeRole
from ksp.domain.errors import FieldError, InvalidInput, KspError
from ksp.domain.lists import ListEntry
from ksp.domain.outcomes import ActionDraft, OutcomeDecision, OutcomeDraft
from ksp.services.documents import DocumentService
from ksp.services.meeting_lifecycle import MeetingLifecycleService
from ksp.services.meetings import MeetingService
from ksp.services.minutes import MinutesService
from ksp.services.outcomes import ActionFilter, OutcomeService
from ksp.web.kif_forms import NO_REFUSAL, Form, Refusal, form_of
from ksp.web.kif_lists import list_versions
from ksp.web.kif_meetings import meeting_labels_context
from ksp.web.meeting_labels import (
    ACTION_STATUS,
    AGENCY,
    ATTENDEE_ROLE,
    OUTCOME_DECISION,
)
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["MeetingWorkPages"]

AnyRequest = Request[Any, Any, Any]
BLANK_ATTENDEE_ROWS = 6
ACTION_ROWS = 3
_FILTERS = {
    ActionFilter.OPEN: "Åbne",
    ActionFilter.OVERDUE: "Overskredne",
    ActionFilter.DONE: "Udførte",
    ActionFilter.ALL: "Alle",
}


def _labels() -> dict[str, Any]:
    return {
        "agencies": AGENCY,
        "attendee_roles": ATTENDEE_ROLE,
        "decisions": OUTCOME_DECISION,
        "action_statuses": ACTION_STATUS,
        **meeting_labels_context(),
    }


async def _attendance_page(
    request: AnyRequest,
    visitor: Visitor,
    lifecycle: MeetingLifecycleService,
    meeting_id: str,
    refusal: Refusal = NO_REFUSAL,
    rows: list[dict[str, Any]] | None = None,
) -> Response[str]:
    number, meeting, attendees = await lifecycle.attendance(visitor.principal, meeting_id)
    if rows is None:
        rows = [dict(a) for a in attendees]
        rows += [{} for _ in range(BLANK_ATTENDEE_ROWS)]
    return page(
        request,
        "web/kif/attendance.html.j2",
        status=refusal.status,
        meeting=meeting,
        number=number,
        rows=rows,
        **refusal.context(),
        **_labels(),
    )


def _attendee_rows(form: Form) -> list[dict[str, Any]]:
    """The filled rows of the attendance form (a row without a name is left out)."""
    rows = []
    for i in range(int(form.text("rows") or 0)):
        if not form.text(f"name_{i}"):
            continue
        rows.append(
            {
                "name": form.text(f"name_{i}"),
                "agency": form.text(f"agency_{i}"),
                "unit": form.text(f"unit_{i}"),
                "role": form.text(f"role_{i}"),
                "present": form.checked(f"present_{i}"),
                "confidentiality_acknowledged": form.checked(f"confidentiality_{i}"),
            }
        )
    return rows


def _attendees(rows: list[dict[str, Any]]) -> list[Attendee]:
    errors = [
        FieldError(f"attendees[{i}].{name}", "is required")
        for i, row in enumerate(rows)
        for name, known in (("agency", AGENCY), ("role", ATTENDEE_ROLE))
        if row[name] not in known
    ]
    if errors:
        raise InvalidInput(errors)
    return [
        Attendee(
            name=row["name"],
            agency=Agency(row["agency"]),
            unit=row["unit"],
            role=AttendeeRole(row["role"]),
            present=row["present"],
            confidentiality_acknowledged=row["confidentiality_acknowledged"],
        )
        for row in rows
    ]


async def _work_page(
    request: AnyRequest,
    visitor: Visitor,
    services: tuple[MeetingService, DocumentService, OutcomeService],
    meeting_id: str,
    refusal: Refusal = NO_REFUSAL,
) -> Response[str]:
    meetings, documents, outcomes = services
    principal = visitor.principal
    meeting = await meetings.get(principal, meeting_id)
    document_id, versions = await list_versions(documents, principal, meeting_id)
    entries: tuple[ListEntry, ...] = ()
    if document_id is not None and versions:
        entries = (await documents.version(principal, document_id, versions[-1].version)).entries
    current, actions = await outcomes.outcomes(principal, meeting_id)
    _, all_versions = await documents.versions_of_meeting(principal, meeting_id)
    today = outcomes.today()
    return page(
        request,
        "web/kif/meeting_work.html.j2",
        status=refusal.status,
        meeting=meeting,
        entries=entries,
        names={e.case_id: e.name for e in entries},
        outcomes=current,
        actions=actions,
        overdue={a.id for items in actions.values() for a in items if is_overdue(a, today)},
        minutes=sorted(
            (v for kind, v in all_versions if kind == "minutes"), key=lambda v: -v.version
        ),
        action_rows=range(ACTION_ROWS),
        **refusal.context(),
        **_labels(),
    )


def _outcome_draft(form: Form, current: dict[str, str]) -> OutcomeDraft:
    case_id = form.text("case_id", required=True)
    decision = form.text("decision", required=True)
    if decision and decision not in OUTCOME_DECISION:
        form.errors.append(FieldError("decision", "is required"))
    actions = []
    for i in range(ACTION_ROWS):
        if not form.text(f"description_{i}"):
            continue
        agency = form.text(f"agency_{i}")
        if agency not in AGENCY:
            form.errors.append(FieldError(f"actions[{i}].agency", "is required"))
        due = form.date(f"due_on_{i}", required=True)
        if agency in AGENCY and due is not None:
            actions.append(
                ActionDraft(
                    Agency(agency), form.text(f"unit_{i}"), form.text(f"description_{i}"), due
                )
            )
    form.check()
    return OutcomeDraft(
        case_id=case_id,
        summary=form.text("summary"),
        decision=OutcomeDecision(decision),
        actions=tuple(actions),
        corrects=current.get(case_id) if form.checked("corrects") else None,
    )


def _back(text: str) -> str:
    """Where a status form returns to: one of our own pages, never another site."""
    ours = text.startswith(("/moeder/", "/handlinger")) and "//" not in text
    return text if ours else "/handlinger"


class MeetingWorkPages(Controller):
    path = "/"

    @get(
        "/moeder/{meeting_id:uuid}/fremmoede",
        opt=action(Action.RECORD_MEETING),
        include_in_schema=False,
    )
    async def attendance_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> Response[str]:
        return await _attendance_page(request, visitor, meeting_lifecycle, str(meeting_id))

    @post(
        "/moeder/{meeting_id:uuid}/fremmoede",
        opt=action(Action.RECORD_MEETING),
        include_in_schema=False,
    )
    async def record_attendance(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meeting_lifecycle: NamedDependency[MeetingLifecycleService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        rows = _attendee_rows(await form_of(request))
        try:
            await meeting_lifecycle.record_attendance(
                visitor.principal, str(meeting_id), _attendees(rows)
            )
        except KspError as exc:
            shown = rows + [{} for _ in range(BLANK_ATTENDEE_ROWS)]
            refusal = Refusal.of(exc)
            return await _attendance_page(
                request, visitor, meeting_lifecycle, str(meeting_id), refusal, shown
            )
        return Redirect(f"/moeder/{meeting_id}/afvikling", status_code=303)

    @get(
        "/moeder/{meeting_id:uuid}/afvikling",
        opt=action(Action.RECORD_MEETING),
        include_in_schema=False,
    )
    async def work_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        meeting_outcomes: NamedDependency[OutcomeService],
        meeting_id: FromPath[UUID],
    ) -> Response[str]:
        services = (meetings, documents, meeting_outcomes)
        return await _work_page(request, visitor, services, str(meeting_id))

    @post(
        "/moeder/{meeting_id:uuid}/udfald",
        opt=action(Action.RECORD_MEETING),
        include_in_schema=False,
    )
    async def record_outcome(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        meeting_outcomes: NamedDependency[OutcomeService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        services = (meetings, documents, meeting_outcomes)
        values = {k: form.text(k) for k in form.values}
        try:
            current, _ = await meeting_outcomes.outcomes(visitor.principal, str(meeting_id))
            draft = _outcome_draft(form, {o.case_id: o.id for o in current})
            await meeting_outcomes.record_outcome(visitor.principal, str(meeting_id), draft)
        except KspError as exc:
            refusal = Refusal.of(exc, values)
            return await _work_page(request, visitor, services, str(meeting_id), refusal)
        return Redirect(f"/moeder/{meeting_id}/afvikling#udfald", status_code=303)

    @post(
        "/moeder/{meeting_id:uuid}/referat",
        opt=action(Action.RECORD_MEETING),
        include_in_schema=False,
    )
    async def write_minutes(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        documents: NamedDependency[DocumentService],
        meeting_outcomes: NamedDependency[OutcomeService],
        minutes: NamedDependency[MinutesService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        services = (meetings, documents, meeting_outcomes)
        try:
            await minutes.write(visitor.principal, str(meeting_id), form.text("minutes_reason"))
        except KspError as exc:
            refusal = Refusal.of(exc, renamed={"reason": "minutes_reason"})
            return await _work_page(request, visitor, services, str(meeting_id), refusal)
        return Redirect(f"/moeder/{meeting_id}/afvikling#referat", status_code=303)

    @get("/handlinger", opt=action(Action.READ_ACTIONS), include_in_schema=False)
    async def actions_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meeting_outcomes: NamedDependency[OutcomeService],
        vis: FromQuery[str] = ActionFilter.OPEN,
    ) -> Response[str]:
        chosen = vis if vis in _FILTERS else ActionFilter.OPEN
        found = await meeting_outcomes.actions(visitor.principal, chosen)
        today = meeting_outcomes.today()
        return page(
            request,
            "web/kif/actions.html.j2",
            actions=found,
            overdue={a.id for a in found if is_overdue(a, today)},
            filters=_FILTERS,
            chosen=chosen,
            **_labels(),
        )

    @post(
        "/handlinger/{action_id:uuid}/status",
        opt=action(Action.UPDATE_ACTION),
        include_in_schema=False,
    )
    async def change_action_status(
        self,
        visitor: NamedDependency[Visitor],
        request: AnyRequest,
        meeting_outcomes: NamedDependency[OutcomeService],
        action_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        chosen = form.text("status")
        if chosen not in ACTION_STATUS or chosen == ActionStatus.OPEN:
            raise InvalidInput([FieldError("status", "is required")])
        await meeting_outcomes.change_action_status(
            visitor.principal, str(action_id), ActionStatus(chosen), form.optional("note")
        )
        return Redirect(_back(form.text("back")), status_code=303)
