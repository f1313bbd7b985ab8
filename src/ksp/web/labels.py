"""Danish names of the domain's values, as the pages show them."""

from __future__ import annotations

from ksp.domain import reference
from ksp.domain.cases import CaseStatus, Custody, TriageDecision
from ksp.domain.circulation import Agency
from ksp.domain.exchanges import NoteWhere
from ksp.domain.reference import UnitTable

__all__ = [
    "AGENCY_DA",
    "CASE_STATUS_DA",
    "CUSTODY_DA",
    "DANISH",
    "NOTE_WHERE_DA",
    "PURPOSE_DA",
    "TRIAGE_DA",
    "place_names",
]

CUSTODY_DA: dict[str, str] = {
    Custody.REMAND: "Varetægtsarrestant",
    Custody.CONVICTED: "Dømt (løsladt fra institution)",
    Custody.YOUTH_SECTION_78: "Ung, straffuldbyrdelseslovens § 78",
}
CASE_STATUS_DA: dict[str, str] = {
    CaseStatus.SUBMITTED: "Indsendt, afventer KiF",
    CaseStatus.MEETING: "Skal på et KSP-møde",
    CaseStatus.DIRECT: "Direkte kontakt (haster)",
    CaseStatus.REJECTED: "Afvist af KiF",
    CaseStatus.LISTED: "På et mødes KSP-liste",
    CaseStatus.WITHDRAWN: "Trukket tilbage",
}
TRIAGE_DA: dict[str, str] = {
    TriageDecision.MEETING: "Til KSP-møde",
    TriageDecision.DIRECT: "Direkte kontakt",
    TriageDecision.REJECTED: "Afvist",
}
AGENCY_DA: dict[str, str] = {
    Agency.KF: "Kriminalforsorgen",
    Agency.MUNICIPALITY: "Kommunen",
    Agency.POLICE: "Politiet",
}
NOTE_WHERE_DA: dict[str, str] = {
    NoteWhere.HANDLEPLAN: "I handleplanen",
    NoteWhere.PERSONJOURNAL: "I personjournalen",
    NoteWhere.NONE: "Ikke noteret",
}
PURPOSE_DA: dict[str, str] = {
    "case-handling": "Sagsbehandling",
    "triage": "Visitation",
    "meeting-preparation": "Mødeforberedelse",
    "circulation": "Udsendelse",
    "inquiry": "Forespørgsel",
    "audit": "Revision",
    "subject-access": "Indsigt",
}

# For the templates: ``{{ da.status[case.status] }}``.
DANISH: dict[str, dict[str, str]] = {
    "custody": CUSTODY_DA,
    "status": CASE_STATUS_DA,
    "triage": TRIAGE_DA,
    "agency": AGENCY_DA,
    "note_where": NOTE_WHERE_DA,
    "purpose": PURPOSE_DA,
}


def place_names(
    municipality_code: int, police_district: str, unit: str, units: UnitTable
) -> dict[str, str]:
    """The Danish names of a case's municipality, police district and KiF department (the
    code or slug itself where the table has none)."""
    municipality = reference.municipality(municipality_code)
    district = reference.police_district(police_district)
    named = {u.unit: u.name for u in units.units}
    return {
        "municipality": municipality.name if municipality else str(municipality_code),
        "district": district.name if district else police_district,
        "kif_unit": named.get(unit, unit),
    }
