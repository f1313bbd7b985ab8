"""The Danish notices that notice recipients (``DeliveryMode.NOTICE``) get instead of the
document: that a version is ready (or that the meeting is cancelled), with a link under
``KSP_PUBLIC_URL`` to the page where participants read it.

They hold no personal data: the meeting's Danish day, never its title (KiF-chosen text), and
ids only in the link.
"""

from __future__ import annotations

from ksp.domain.circulation import Notice
from ksp.domain.danish_time import danish_date
from ksp.domain.documents import DocumentVersion, kind_of
from ksp.domain.meetings import Meeting
from ksp.services.meeting_journal import meeting_day

__all__ = ["cancellation_notice", "version_notice"]


def version_notice(meeting: Meeting, document: DocumentVersion, public_url: str) -> Notice:
    """That version n of the meeting's list (or minutes) is ready, and where to read it."""
    day, n = danish_date(meeting_day(meeting)), document.version
    if kind_of(document.body) == "minutes":
        subject = f"KSP-referat version {n} er klar: møde {day}"
        said = f"Version {n} af referatet fra KSP-mødet {day} er klar."
    else:
        subject = f"KSP-liste version {n} er klar: møde {day}"
        said = f"Version {n} af listen til KSP-mødet {day} er klar."
    link = f"{public_url}/moeder/{meeting.id}/udsendt/{document.document_id}/{n}"
    return Notice(
        subject=subject,
        text=f"{said}\n\nDeltagerne læser den i KSP-systemet (log ind):",
        link=link,
    )


def cancellation_notice(meeting: Meeting, public_url: str, subject: str) -> Notice:
    """That the meeting is cancelled, with a link to its page."""
    day = danish_date(meeting_day(meeting))
    return Notice(
        subject=subject,
        text=f"KSP-mødet {day} er aflyst.\n\nMødets side i KSP-systemet (log ind):",
        link=f"{public_url}/moeder/{meeting.id}",
    )
