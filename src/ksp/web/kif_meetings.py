"""Meetings: ``GET /moeder`` (KiF: the meetings it called, and a form to call one;
participants: the meetings they take part in), ``POST /moeder``, ``GET /moeder/{id}`` (KiF:
facts, participants with their keys' status, the forms to move or cancel it
(``ksp.web.kif_meeting_changes``); participants: the meeting's
facts and the versions circulated to their unit), and adding or removing participants.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from ksp.api.auth import action
from ksp.domain import reference
from ksp.domain.access import Action, Role
from ksp.domain.danish_time import COPENHAGEN
from ksp.domain.errors import KspError
from ksp.domain.meetings import Meeting, MeetingDraft
from ksp.services.circulation import CirculationService
from ksp.services.circulation_history import CirculationHistoryService
from ksp.services.meetings import MeetingService
from ksp.services.ports import Page
from ksp.web.kif_forms import NO_REFUSAL, Refusal, form_of
from ksp.web.meeting_labels import (
    MEETING_STATUS,
    key_status,
    municipality_name,
    police_district_name,
)
from ksp.web.pages import page
from ksp.web.visitor import Visitor

__all__ = ["MeetingPages", "kif_meeting_page", "meeting_labels_context", "now_of"]

AnyRequest = Request[Any, Any, Any]
MEETINGS_SHOWN = 200


def meeting_labels_context() -> dict[str, Any]:
    """What every meeting template uses to name things in Danish."""
    return {
        "meeting_status": MEETING_STATUS,
        "municipality_name": municipality_name,
        "police_district_name": police_district_name,
    }


def _places() -> dict[str, Any]:
    """The choices of the meeting form, by Danish name."""
    municipalities = sorted(reference.municipalities().values(), key=lambda m: m.name)
    districts = sorted(reference.police_districts().values(), key=lambda d: d.name)
    return {
        "municipalities": [(m.code, m.name) for m in municipalities],
        "districts": [(d.slug, d.name) for d in districts],
    }


async def _meetings_page(
    request: AnyRequest,
    visitor: Visitor,
    meetings: MeetingService,
    refusal: Refusal = NO_REFUSAL,
) -> Response[str]:
    found = await meetings.find(visitor.principal, Page(limit=MEETINGS_SHOWN))
    template = (
        "web/participant/meetings.html.j2"
        if visitor.principal.role is Role.PARTICIPANT
        else "web/kif/meetings.html.j2"
    )
    return page(
        request,
        template,
        status=refusal.status,
        meetings=found,
        full=len(found) == MEETINGS_SHOWN,
        **refusal.context(),
        **_places(),
        **meeting_labels_context(),
    )


def now_of(request: AnyRequest) -> dt.datetime:
    """The service's clock (the sign-in's, which is the one the services share)."""
    now: dt.datetime = request.app.state.sign_in.clock.now()
    return now


SAVED = {"flyttet": "Ændringen af mødet er gemt.", "aflyst": "Mødet er aflyst."}


async def kif_meeting_page(
    request: AnyRequest,
    visitor: Visitor,
    meetings: MeetingService,
    circulation: CirculationService,
    meeting_id: str,
    refusal: Refusal = NO_REFUSAL,
    refused: str | None = None,
) -> Response[str]:
    """KiF's page of a meeting; ``refused`` names the form a ``refusal`` came back to
    (``deltagere``, ``flyt`` or ``aflys``), so its errors stand by that form alone."""
    meeting = await meetings.get(visitor.principal, meeting_id)
    participants = await circulation.participants(visitor.principal, meeting_id)
    taking_part = {p.id for p in participants}
    recipients = [
        r
        for r in await circulation.recipients(visitor.principal)
        if r.id not in taking_part and r.retired_at is None
    ]
    now = now_of(request)
    return page(
        request,
        "web/kif/meeting.html.j2",
        status=refusal.status,
        meeting=meeting,
        participants=[(p, key_status(p, now)) for p in participants],
        recipients=recipients,
        refused=refused,
        move=refusal.values if refused == "flyt" else _as_scheduled(meeting),
        saved=SAVED.get(request.query_params.get("gemt", "")),
        **refusal.context(),
        **meeting_labels_context(),
    )


def _as_scheduled(meeting: Meeting) -> dict[str, str]:
    """The move form's fields as the meeting stands: its Danish date and time, its place."""
    local = meeting.scheduled_for.astimezone(COPENHAGEN)
    return {
        "date": local.date().isoformat(),
        "time": local.strftime("%H:%M"),
        "location": meeting.location or "",
    }


async def _participant_meeting(
    request: AnyRequest,
    visitor: Visitor,
    meetings: MeetingService,
    history: CirculationHistoryService,
    meeting_id: str,
) -> Response[str]:
    meeting = await meetings.get(visitor.principal, meeting_id)
    circulated = await history.to_unit(visitor.principal, meeting_id)
    return page(
        request,
        "web/participant/meeting.html.j2",
        meeting=meeting,
        circulated=circulated,
        proposed=request.query_params.get("foreslaaet") == "1",
        **meeting_labels_context(),
    )


class MeetingPages(Controller):
    path = "/"

    @get("/moeder", opt=action(Action.READ_MEETINGS), include_in_schema=False)
    async def meetings_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
    ) -> Response[str]:
        return await _meetings_page(request, visitor, meetings)

    @post("/moeder", opt=action(Action.CREATE_MEETING), include_in_schema=False)
    async def create_meeting(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
    ) -> Response[Any]:
        form = await form_of(request)
        values = {k: form.text(k) for k in ("title", "municipality_code", "police_district")}
        values |= {k: form.text(k) for k in ("date", "time")}
        try:
            title = form.text("title")
            code = form.integer("municipality_code")
            district = form.text("police_district", required=True)
            when = form.copenhagen_time("date", "time")
            form.check()
            assert code is not None
            assert when is not None
            made = await meetings.create(
                visitor.principal, MeetingDraft(code, district, when, title)
            )
        except KspError as exc:
            refusal = Refusal.of(exc, values, {"scheduled_for": "date"})
            return await _meetings_page(request, visitor, meetings, refusal)
        return Redirect(f"/moeder/{made.id}", status_code=303)

    @get("/moeder/{meeting_id:uuid}", opt=action(Action.READ_MEETINGS), include_in_schema=False)
    async def meeting_page(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        circulation: NamedDependency[CirculationService],
        circulation_history: NamedDependency[CirculationHistoryService],
        meeting_id: FromPath[UUID],
    ) -> Response[str]:
        if visitor.principal.role is Role.PARTICIPANT:
            return await _participant_meeting(
                request, visitor, meetings, circulation_history, str(meeting_id)
            )
        return await kif_meeting_page(request, visitor, meetings, circulation, str(meeting_id))

    @post(
        "/moeder/{meeting_id:uuid}/deltagere",
        opt=action(Action.MANAGE_RECIPIENTS),
        include_in_schema=False,
    )
    async def add_participant(
        self,
        request: AnyRequest,
        visitor: NamedDependency[Visitor],
        meetings: NamedDependency[MeetingService],
        circulation: NamedDependency[CirculationService],
        meeting_id: FromPath[UUID],
    ) -> Response[Any]:
        form = await form_of(request)
        try:
            chosen = form.text("recipient_id", required=True)
            form.check()
            await circulation.add_participant(visitor.principal, str(meeting_id), chosen)
        except KspError as exc:
            return await kif_meeting_page(
                request,
                visitor,
                meetings,
                circulation,
                str(meeting_id),
                Refusal.of(exc),
                "deltagere",
            )
        return Redirect(f"/moeder/{meeting_id}#deltagere", status_code=303)

    @post(
        "/moeder/{meeting_id:uuid}/deltagere/{recipient_id:uuid}/fjern",
        opt=action(Action.MANAGE_RECIPIENTS),
        include_in_schema=False,
    )
    async def remove_participant(
        self,
        visitor: NamedDependency[Visitor],
        circulation: NamedDependency[CirculationService],
        meeting_id: FromPath[UUID],
        recipient_id: FromPath[UUID],
    ) -> Response[Any]:
        await circulation.remove_participant(visitor.principal, str(meeting_id), str(recipient_id))
        return Redirect(f"/moeder/{meeting_id}#deltagere", status_code=303)
