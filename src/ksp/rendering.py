"""Jinja2 rendering of KSP documents for people (Danish HTML), with autoescaping on.

Templates live in the repository's ``templates/`` (packaged as ``ksp/templates`` in a wheel).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import jinja2

from ksp.domain import reference
from ksp.domain.circulation import Recipient
from ksp.domain.danish_time import danish_date, danish_datetime
from ksp.domain.documents import DocumentVersion, ListDiff, Printable, kind_of
from ksp.domain.meetings import Meeting
from ksp.domain.subject_access import Holdings

__all__ = [
    "render_cancellation",
    "render_document",
    "render_page",
    "render_printable",
    "render_subject_access",
    "template_sources",
]

CUSTODY_DA = {
    "remand": "Varetægtsarrestant",
    "convicted": "Dømt (løsladt fra institution)",
    "youth_section_78": "Ung, straffuldbyrdelseslovens § 78",
}
PURPOSE_DA = {
    "case-handling": "Sagsbehandling",
    "triage": "Visitation",
    "meeting-preparation": "Forberedelse af KSP-møde",
    "circulation": "Udsendelse",
    "inquiry": "Henvendelse",
    "audit": "Revision og kontrol",
    "erasure": "Sletning",
    "subject-access": "Indsigt",
}
AGENCY_DA = {"kf": "Kriminalforsorgen", "municipality": "Kommunen", "police": "Politiet"}


def _template_dirs() -> list[str]:
    package = Path(__file__).resolve().parent
    candidates = [package / "templates", package.parents[1] / "templates"]
    return [str(path) for path in candidates if path.is_dir()]


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["custody_da"] = CUSTODY_DA
    environment.globals["agency_da"] = AGENCY_DA
    # Danish dates and times in Europe/Copenhagen for the pages (``{{ case.at | tidspunkt }}``).
    environment.filters["dato"] = danish_date
    environment.filters["tidspunkt"] = danish_datetime
    return environment


MINUTES_DA = {
    "agency": {
        "kf": "Kriminalforsorgen",
        "municipality": "Kommunen",
        "police": "Politiet",
        "other": "Anden myndighed",
    },
    "role": {
        "chair": "Mødeleder",
        "secretary": "Sekretær",
        "participant": "Deltager",
        "observer": "Observatør",
    },
    "decision": {
        "information-exchanged": "Oplysninger udvekslet",
        "no-further-action": "Ingen yderligere handling",
        "follow-up": "Opfølgning",
        "next-meeting": "Drøftes igen på næste møde",
    },
    "action_status": {
        "open": "Åben",
        "done": "Udført",
        "not-done-circumstances-changed": "Ikke udført – forholdene har ændret sig",
        "not-done-agency": "Ikke udført – myndigheden har ikke handlet",
        "cancelled": "Annulleret",
    },
}


def render_document(
    document: DocumentVersion,
    *,
    participants: Sequence[Recipient] = (),
    changes: ListDiff | None = None,
) -> str:
    """The version as the Danish HTML document the participants receive (and, with the
    print stylesheet, its PDF): a list, or the minutes (referat) with their own template,
    with the meeting's participants, and what changed since the previous version
    (``changes``, None for the first).

    Times are Danish wall-clock times in words; the author is the name the token carried,
    else the meeting's KiF unit, never a login id."""
    meeting = document.body["meeting"]
    municipality = reference.municipality(meeting["municipality_code"])
    district = reference.police_district(meeting["police_district"])
    context = {
        "document": document,
        "meeting": meeting,
        "municipality": municipality.name if municipality else meeting["municipality_code"],
        "district": district.name if district else meeting["police_district"],
        "scheduled_for": danish_datetime(dt.datetime.fromisoformat(meeting["scheduled_for"])),
        "created_at": danish_datetime(document.created_at),
        "author": document.body.get("created_by_name") or meeting["kif_unit"],
        "participants": participants,
        "changes": changes,
    }
    if kind_of(document.body) == "minutes":  # from the body: the canonical JSON says
        return (
            _environment()
            .get_template("ksp_minutes.html.j2")
            .render(**context, **_minutes(document))
        )
    return _environment().get_template("ksp_document.html.j2").render(**context)


def _minutes(document: DocumentVersion) -> dict[str, object]:
    """The minutes' attendance, and per case on the agenda its entry and outcome, the
    actions' due dates in Danish."""
    entries = {entry.case_id: entry for entry in document.entries}
    cases = []
    for case in document.body["cases"]:
        outcome = case["outcome"]
        if outcome is not None:
            actions = [
                {**a, "due_on_da": danish_date(dt.date.fromisoformat(a["due_on"]))}
                for a in outcome["actions"]
            ]
            outcome = {**outcome, "actions": actions}
        cases.append({"entry": entries[case["case_id"]], "outcome": outcome})
    return {"attendees": document.body["attendees"], "cases": cases, "labels": MINUTES_DA}


def render_cancellation(meeting: Meeting) -> str:
    """The Danish notice that ``meeting`` is cancelled: no personal data, only the meeting."""
    municipality = reference.municipality(meeting.municipality_code)
    district = reference.police_district(meeting.police_district)
    return (
        _environment()
        .get_template("ksp_cancellation.html.j2")
        .render(
            meeting=meeting,
            municipality=municipality.name if municipality else meeting.municipality_code,
            district=district.name if district else meeting.police_district,
            scheduled_for=danish_datetime(meeting.scheduled_for),
        )
    )


def render_printable(printable: Printable) -> str:
    """The Danish HTML of a version with its participants and changes (also its PDF's)."""
    return render_document(
        printable.document, participants=printable.participants, changes=printable.changes
    )


def template_sources() -> list[str]:
    """The text of every template, for the inline-style hashes of the HTML pages' CSP."""
    loader = _environment().loader
    assert loader is not None
    return [loader.get_source(_environment(), name)[0] for name in loader.list_templates()]


def render_subject_access(holdings: Holdings) -> str:
    """A subject-access extract as a Danish HTML document (and, printed, its PDF)."""
    assert holdings.made_at is not None
    return (
        _environment()
        .get_template("subject_access.html.j2")
        .render(
            holdings=holdings,
            made_at=danish_datetime(holdings.made_at),
            when=danish_datetime,
            day=danish_date,
            purpose_da=PURPOSE_DA,
        )
    )


def render_page(name: str, **context: object) -> str:
    """A page of ``templates/`` (the sign-in pages, say), autoescaped like the documents."""
    return _environment().get_template(name).render(**context)
