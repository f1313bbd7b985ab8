"""The KiF and participant pages (issue 10): triage, meetings, lists, circulation, the
meeting's work, recipients, inquiries and the worklist; and the participants' pages.
Registered in ``ksp.web.router``."""

from __future__ import annotations

from ksp.web.kif_circulation import CirculationPages
from ksp.web.kif_inquiries import InquiryPages
from ksp.web.kif_lists import ListPages
from ksp.web.kif_meeting_changes import MeetingChangePages
from ksp.web.kif_meeting_work import MeetingWorkPages
from ksp.web.kif_meetings import MeetingPages
from ksp.web.kif_recipients import RecipientPages
from ksp.web.kif_triage import TriagePages
from ksp.web.participant_pages import ParticipantPages

__all__ = ["MEETING_PAGE_CONTROLLERS"]

MEETING_PAGE_CONTROLLERS: list[type] = [
    TriagePages,
    MeetingPages,
    MeetingChangePages,
    ListPages,
    CirculationPages,
    MeetingWorkPages,
    RecipientPages,
    InquiryPages,
    ParticipantPages,
]
