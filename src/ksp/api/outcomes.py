"""Outcomes, actions and the worklist (CONTRACT.md, "Meetings (issue 8)")."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal
from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.meeting_work_schemas import (
    ActionOut,
    ActionPage,
    ActionStatusIn,
    DueItemOut,
    OutcomeIn,
    OutcomeList,
    OutcomeOut,
    RecordedOutcomeOut,
    Worklist,
)
from ksp.api.schemas.common import nfc
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action, Principal
from ksp.domain.actions import ActionStatus, ActionView, is_overdue
from ksp.domain.outcomes import ActionDraft, OutcomeDraft
from ksp.services.outcomes import OutcomeService
from ksp.services.worklist import WorklistService

__all__ = ["ActionController", "OutcomeController", "worklist"]

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


class OutcomeController(Controller):
    path = "/meetings/{meeting_id:uuid}/outcomes"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["meetings"]  # noqa: RUF012

    @post(
        "/",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404, 409, 422),
        summary="Record a case's outcome and the actions agreed",
        description="The case must be on the latest list version. Each outcome is an "
        "exchange of information (guide 3.3.7) and opens the case's notification and note "
        "duties. A second outcome for a case names the current one in `corrects`.",
        status_code=201,
        dto=StrictJSON[OutcomeIn],
        return_dto=None,
    )
    async def record_outcome(
        self,
        principal: NamedDependency[Principal],
        meeting_outcomes: NamedDependency[OutcomeService],
        meeting_id: FromPath[UUID],
        data: JSONBody[OutcomeIn],
    ) -> RecordedOutcomeOut:
        draft = OutcomeDraft(
            case_id=str(data.case_id),
            summary=nfc(data.summary),
            decision=data.decision,
            actions=tuple(
                ActionDraft(a.agency, a.unit, nfc(a.description), a.due_on) for a in data.actions
            ),
            corrects=None if data.corrects is None else str(data.corrects),
        )
        made = await meeting_outcomes.record_outcome(principal, str(meeting_id), draft)
        return RecordedOutcomeOut(
            id=made.id, action_ids=list(made.action_ids), exchange_id=made.exchange_id
        )

    @get(
        "/",
        opt=action(Action.RECORD_MEETING),
        responses=problems(404, 410),
        summary="The current outcome of each case discussed, with its actions",
    )
    async def outcomes(
        self,
        principal: NamedDependency[Principal],
        meeting_outcomes: NamedDependency[OutcomeService],
        meeting_id: FromPath[UUID],
    ) -> OutcomeList:
        found, actions = await meeting_outcomes.outcomes(principal, str(meeting_id))
        today = meeting_outcomes.today()
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


class ActionController(Controller):
    path = "/actions"
    guards = [authorised]  # noqa: RUF012
    tags = ["meetings"]  # noqa: RUF012

    @get(
        "/",
        opt=action(Action.READ_ACTIONS),
        responses=problems(410),
        summary="Actions agreed at meetings",
        description="KiF: the actions of its meetings. A participant: the actions its unit owns.",
    )
    async def list_actions(
        self,
        principal: NamedDependency[Principal],
        meeting_outcomes: NamedDependency[OutcomeService],
        status: Annotated[
            Literal["open", "overdue", "done", "all"], QueryParameter(required=False)
        ] = "open",
    ) -> ActionPage:
        found = await meeting_outcomes.actions(principal, status)
        today = meeting_outcomes.today()
        return ActionPage(items=[_action_out(a, today) for a in found])

    @post(
        "/{action_id:uuid}/status",
        opt=action(Action.UPDATE_ACTION),
        responses=problems(404, 409, 422),
        summary="Close an action as done or not done",
        description="`not-done-*` and `cancelled` need a `note`. Only open actions change.",
        status_code=200,
        dto=StrictJSON[ActionStatusIn],
        return_dto=None,
    )
    async def change_status(
        self,
        principal: NamedDependency[Principal],
        meeting_outcomes: NamedDependency[OutcomeService],
        action_id: FromPath[UUID],
        data: JSONBody[ActionStatusIn],
    ) -> ActionOut:
        note = None if data.note is None else nfc(data.note)
        changed = await meeting_outcomes.change_action_status(
            principal, str(action_id), ActionStatus(data.status), note
        )
        return _action_out(changed, meeting_outcomes.today())


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
    principal: NamedDependency[Principal],
    worklists: NamedDependency[WorklistService],
) -> Worklist:
    items = await worklists.worklist(principal)
    return Worklist(
        items=[
            DueItemOut(
                kind=i.kind.value, reference=i.reference, meeting_id=i.meeting_id, due_on=i.due_on
            )
            for i in items
        ]
    )
