"""The Danish words the KiF and participant pages show for the service's codes, and the
status of a recipient's key as it stands before a circulation.

The codes stay English in the API; a page never shows one raw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ksp.domain import reference
from ksp.domain.circulation import DeliveryMode, Recipient

__all__ = [
    "ACTION_STATUS",
    "AGENCY",
    "ATTENDEE_ROLE",
    "CASE_STATUS",
    "DELIVERY_MODE",
    "DELIVERY_STATUS",
    "DUE_KIND",
    "KEY_FORMAT",
    "KEY_WARNING_DAYS",
    "MEETING_STATUS",
    "OUTCOME_DECISION",
    "SUGGESTION",
    "TRIAGE_DECISION",
    "KeyStatus",
    "key_status",
    "municipality_name",
    "police_district_name",
]

CASE_STATUS = {
    "submitted": "Indsendt, venter på visitering",
    "meeting": "Visiteret til KSP-møde",
    "direct": "Direkte kontakt (akut)",
    "rejected": "Afvist",
    "listed": "På et mødes KSP-liste",
    "withdrawn": "Trukket tilbage",
}
TRIAGE_DECISION = {
    "meeting": "Til KSP-møde",
    "direct": "Direkte kontakt nu (akut)",
    "rejected": "Afvis",
}
MEETING_STATUS = {
    "planned": "Planlagt",
    "held": "Afholdt",
    "closed": "Afsluttet med referat",
    "cancelled": "Aflyst",
}
DELIVERY_STATUS = {
    "queued": "I kø",
    "sent": "Sendt",
    "retrying": "Forsøges igen",
    "failed": "Kunne ikke leveres",
}
DELIVERY_MODE = {
    "encrypted": "Krypteret mail med listen",
    "notice": "Kun en besked uden personoplysninger",
}
KEY_FORMAT = {"openpgp": "OpenPGP", "smime": "S/MIME"}
AGENCY = {
    "kf": "Kriminalforsorgen",
    "municipality": "Kommune",
    "police": "Politi",
    "other": "Anden myndighed",
}
ATTENDEE_ROLE = {
    "chair": "Mødeleder",
    "secretary": "Referent",
    "participant": "Deltager",
    "observer": "Observatør",
}
OUTCOME_DECISION = {
    "information-exchanged": "Oplysninger udvekslet",
    "no-further-action": "Ingen yderligere handling",
    "follow-up": "Opfølgning aftalt",
    "next-meeting": "Tages op igen på næste møde",
}
ACTION_STATUS = {
    "open": "Åben",
    "done": "Udført",
    "not-done-circumstances-changed": "Ikke udført: forholdene har ændret sig",
    "not-done-agency": "Ikke udført: myndigheden handlede ikke",
    "cancelled": "Annulleret",
}
DUE_KIND = {
    "list-not-circulated": "KSP-listen er ikke rundsendt, og mødet er inden for 7 dage",
    "minutes-missing": "Referatet mangler mere end 3 arbejdsdage efter mødet",
    "action-overdue": "En aftalt handling har overskredet sin frist",
    "exchange-duties-open": "En udveksling mangler underretning af borgeren eller notat",
    "withdrawn-case-on-list": "En tilbagetrukket sag står stadig på mødets KSP-liste",
}
SUGGESTION = {"inside": "Inden for tidsvinduet", "outside": "Uden for tidsvinduet"}

KEY_WARNING_DAYS = 30  # as at registration: a key must last 30 more days


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What a page says of a recipient's key, and whether a circulation may use it."""

    text: str
    usable: bool


def key_status(recipient: Recipient, now: dt.datetime) -> KeyStatus:
    """Retired, revoked and expired keys stop a circulation; one expiring within 30 days
    still works, with a warning. The service asks the keyring again when it circulates."""
    if recipient.retired_at is not None:
        return KeyStatus("Udtrådt: modtageren får ikke flere lister", usable=False)
    if recipient.delivery is DeliveryMode.NOTICE:  # no key is used: the notice is signed only
        return KeyStatus("Får kun en underskrevet meddelelse med link", usable=True)
    if recipient.key_revoked:
        return KeyStatus("Spærret: nøglen er tilbagekaldt af ejeren", usable=False)
    expires = recipient.expires_at
    if expires is not None and expires <= now:
        return KeyStatus("Udløbet: bed modtageren om en ny nøgle", usable=False)
    if expires is not None and expires <= now + dt.timedelta(days=KEY_WARNING_DAYS):
        return KeyStatus("Gyldig, men udløber inden for 30 dage", usable=True)
    return KeyStatus("Gyldig", usable=True)


def municipality_name(code: int) -> str:
    found = reference.municipality(code)
    return found.name if found else str(code)


def police_district_name(slug: str) -> str:
    found = reference.police_district(slug)
    return found.name if found else slug
