"""The one place that turns domain errors into Danish sentences that say what to do.

Keyed by the problem type of ``ksp.api.problems`` (the API keeps its English problem
details); a page shows :func:`sentence_of` of what a service raised, and each refused field
its :func:`field_message`. Nothing here quotes a value the person typed.
"""

from __future__ import annotations

import re

from ksp.api.problems import PROBLEMS
from ksp.domain import errors

__all__ = ["FIELD_SENTENCES", "SENTENCES", "field_message", "sentence_of", "slug_of"]

SENTENCES: dict[str, str] = {
    "validation": "Et eller flere felter er ikke udfyldt rigtigt. Ret de markerede felter, "
    "og prøv igen.",
    "idempotency-key-reused": "Formularen er allerede sendt med andet indhold. Åbn "
    "formularen igen, og send den én gang.",
    "remand-requires-radicalisation-concern": "En varetægtsarrestant må kun indstilles til "
    "KSP, når der er en bekymring for radikalisering (vejledningen afsnit 3.3.7). Sæt "
    "kryds i »Bekymring for radikalisering«, hvis der er en sådan bekymring, eller lad være "
    "med at indstille personen.",
    "recipient-key-unusable": "Modtagerens krypteringsnøgle kan ikke bruges. Bed modtageren "
    "om en gyldig nøgle, og prøv igen.",
    "notification-omission-needs-manager": "Hvis borgeren ikke skal underrettes, skal du "
    "skrive begrundelsen, hvilken leder du har drøftet det med, og hvornår.",
    "rule-violation": "Vejledningens regler tillader ikke dette. Kontakt din KiF-koordinator, "
    "hvis du mener, det er en fejl.",
    "not-authenticated": "Du er ikke logget ind, eller din session er udløbet. Log ind igen.",
    "csrf-token-invalid": "Formularen var for gammel eller kom ikke fra KSP. Gå tilbage, "
    "genindlæs siden, og prøv igen.",
    "forbidden": "Din rolle giver ikke adgang til dette. Kontakt din administrator, hvis du "
    "skal have adgang.",
    "not-found": "Siden findes ikke, eller din enhed har ikke adgang til den. Tjek adressen, "
    "eller gå til forsiden.",
    "invalid-status-transition": "Sagen er allerede behandlet, så det kan ikke gøres nu. "
    "Genindlæs sagen for at se dens status.",
    "not-latest-version": "Der er kommet en nyere version af KSP-listen, siden du åbnede "
    "den. Genindlæs siden, og lav din ændring på den nyeste version.",
    "meeting-cancelled": "Mødet er aflyst og kan ikke ændres.",
    "meeting-status": "Mødets status tillader ikke dette (det er måske afholdt eller "
    "aflyst). Genindlæs mødet for at se dets status.",
    "duplicate-outcome": "Sagen har allerede et resultat fra dette møde. Ret det "
    "eksisterende resultat i stedet.",
    "recipient-exists": "Adressen er allerede oprettet som modtager i enheden.",
    "already-circulated": "Versionen er allerede udsendt. Skriv en begrundelse, hvis den "
    "skal sendes igen.",
    "conflict": "Det kan ikke lade sig gøre i sagens nuværende tilstand. Genindlæs siden, "
    "og prøv igen.",
    "journal-integrity": "Journalen kan ikke verificeres, så der gemmes intet, før en revisor "
    "har set på det. Kontakt revisionen.",
    "commit-outcome-unknown": "Det er uvist, om ændringen blev gemt. Se efter, om den er "
    "der, før du prøver igen.",
    "token-keys-unavailable": "Identitetsudbyderens nøgler kan ikke hentes lige nu, så log-in "
    "kan ikke godkendes. Prøv igen om lidt.",
    "storage-unavailable": "Databasen svarer ikke lige nu. Intet er gemt. Prøv igen om lidt.",
    "erased": "Oplysningerne er slettet efter reglerne for opbevaring eller en afgørelse om "
    "sletning og kan ikke vises længere.",
    "erasure-already-decided": "Der er allerede taget stilling til denne anmodning om "
    "sletning. Se anmodningens status.",
    "second-person-required": "En anden person end den, der bad om sletningen, skal "
    "kontrasignere den. Bed en revisor om at gøre det.",
    "journal-rolled-back": "Journalen er ældre end den, vidnerne har set, så der gemmes "
    "intet nyt. Kontakt driften: en ældre kopi af databasen kan være lagt tilbage.",
    "print-failed": "PDF'en kunne ikke laves lige nu. Intet er sendt. Prøv igen om lidt, eller "
    "hent dokumentet som HTML.",
    "internal": "Der skete en fejl i KSP. Den er logget. Prøv igen, og kontakt support, hvis "
    "det sker igen.",
}

_FIELD_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^must be 1 to (\d+) characters$"), "Skriv mellem 1 og {0} tegn."),
    (re.compile(r"^must be at most (\d+) characters$"), "Skriv højst {0} tegn."),
    (
        re.compile(r"^is required and not in the future$"),
        "Skriv datoen. Den må ikke ligge i fremtiden.",
    ),
    (re.compile(r"^is required"), "Feltet skal udfyldes."),
    (
        re.compile(r"^name at least one field to correct$"),
        "Ret mindst ét felt, før du gemmer rettelsen.",
    ),
    (re.compile(r"^is already so$"), "Feltet har allerede den værdi."),
    (re.compile(r"^cannot be corrected$"), "Feltet kan ikke rettes."),
    (re.compile(r"^must name at least one agency$"), "Vælg mindst én myndighed."),
    (
        re.compile(r"^must be text of at most (\d+) characters$"),
        "Skriv højst {0} tegn uden usynlige styretegn.",
    ),
    (
        re.compile(r"^must not be before the exchange's occurred_on$"),
        "Datoen må ikke ligge før udvekslingen.",
    ),
    (
        re.compile(r"^is only for a decision not to tell$"),
        "Udfyld kun feltet, når den indsatte ikke er orienteret.",
    ),
    (re.compile(r"^must be a date$"), "Skriv en gyldig dato."),
    (re.compile(r"^must be one line$"), "Skriv på én linje."),
    (
        re.compile(r"^is recorded only with a radicalisation concern$"),
        "Udfyld kun datoen, når der er en bekymring for radikalisering.",
    ),
    (re.compile(r"^must not be in the future$"), "Datoen må ikke ligge i fremtiden."),
    (
        re.compile(r"^must not be before detained_since$"),
        "Datoen må ikke ligge før »Indsat siden«.",
    ),
    (re.compile(r"^is not one of the 98 municipalities$"), "Vælg en af de 98 kommuner."),
    (re.compile(r"^is not one of the 12 police districts$"), "Vælg en af de 12 politikredse."),
    (re.compile(r"KiF unit"), "Vælg en KiF-afdeling fra listen."),
    (re.compile(r"^must be 10 digits"), "Skriv CPR-nummeret som 10 cifre, fx 010190-1234."),
    (
        re.compile(r"valid birth date"),
        "CPR-nummeret indeholder ikke en gyldig fødselsdato. Tjek de første 6 cifre.",
    ),
    (
        re.compile(r"birth date in the future"),
        "CPR-nummerets fødselsdato ligger i fremtiden. Tjek nummeret.",
    ),
    (re.compile(r"one line"), "Skriv teksten på én linje uden usynlige tegn."),
    (re.compile(r"'=\?'"), "Teksten må ikke indeholde tegnene »=?«."),
    (re.compile(r"control characters"), "Teksten må ikke indeholde usynlige styretegn."),
    (re.compile(r"(?i)date"), "Skriv en gyldig dato."),
]
FALLBACK_FIELD = "Feltet er ikke udfyldt rigtigt. Ret det, og prøv igen."

FIELD_SENTENCES: dict[str, str] = {
    # The rules of meetings, lists, circulation, outcomes and inquiries, word for word.
    "must be a whole number": "Skriv et helt tal.",
    "must be a valid time": "Skriv et klokkeslæt, fx 10.00.",
    "must be a valid date": "Skriv en gyldig dato.",
    "add or remove at least one case": "Vælg mindst én sag at tilføje eller fjerne.",
    "is already on the list": "Sagen står allerede på listen.",
    "is not on the list": "Sagen står ikke på listen længere. Genindlæs siden.",
    "is not triaged for a meeting": "Sagen er ikke visiteret til et KSP-møde.",
    "is withdrawn": "Sagen er trukket tilbage.",
    "names a case twice": "Samme sag er valgt to gange.",
    "does not name a case of this KiF unit": "Sagen hører ikke til jeres KiF-afdeling.",
    "belongs to another municipality than the meeting's": "Sagen hører til en anden "
    "kommune end mødets.",
    "belongs to another police district than the meeting's": "Sagen hører til en anden "
    "politikreds end mødets.",
    "does not cover the municipality": "Politikredsen dækker ikke kommunen. Vælg den "
    "politikreds, kommunen ligger i.",
    "must not lie more than a day in the past": "Mødet må ikke ligge mere end en dag tilbage "
    "i tiden.",
    "must not lie more than 2 years ahead": "Mødet må højst ligge 2 år ude i fremtiden.",
    "must not be in the past": "Tidspunktet må ikke ligge i fortiden.",
    "must change scheduled_for, location or title": "Ret tidspunktet eller stedet: intet er "
    "ændret endnu.",
    "names no recipient of yours": "Vælg en modtager fra jeres liste.",
    "names a retired recipient": "Modtageren er udtrådt. Vælg en anden.",
    "the meeting has none": "Mødet har ingen deltagere endnu. Tilføj deltagere først.",
    "must be true when a reason is given": "Sæt kryds i »Send igen«, når du skriver en "
    "begrundelse.",
    "is not on the latest list version": "Sagen står ikke på mødets seneste KSP-liste.",
    "must not be before the meeting": "Fristen må ikke ligge før mødet.",
    "must be a lower-case unit slug": "Skriv enheden med små bogstaver, fx kommune-101.",
    "must hold 1 to 50 attendees": "Skriv mellem 1 og 50 deltagere.",
    "must have someone present": "Mindst én skal være til stede.",
    "must have at most one chair": "Der kan højst være én mødeleder.",
    "is required of everyone present": "Alle, der er til stede, skal have tilsluttet sig "
    "tavshedspligten.",
    "must name this case's current outcome": "Vælg sagens nuværende resultat.",
    "must be a full 40-hex-digit fingerprint": "Skriv hele fingeraftrykket: 40 tegn 0-9 og A-F.",
    "must be a full 64-hex-digit fingerprint": "Skriv hele certifikatets fingeraftryk (SHA-256): "
    "64 tegn 0-9 og A-F.",
    "give either openpgp_key or certificate": "Indsæt modtagerens OpenPGP-nøgle eller "
    "S/MIME-certifikat, eller vælg, at modtageren kun får en besked.",
    "changes under Unicode normalisation (NFKC)": "Adressen indeholder tegn, der ligner "
    "andre tegn. Skriv den med almindelige bogstaver.",
    "names the KiF unit to ask": "Vælg den KiF-afdeling, henvendelsen går til.",
    "must be your own unit": "Vælg jeres egen KiF-afdeling.",
    "is required when a participant proposes": "Vælg det møde, borgeren foreslås til.",
    "names no meeting you may propose for": "Vælg et møde, du deltager i.",
    "must be the meeting's KiF unit": "Sagen skal gå til mødets KiF-afdeling.",
    "must be the meeting's municipality": "Borgeren skal høre til mødets kommune.",
    "must be the meeting's police district": "Borgeren skal høre til mødets politikreds.",
    "is required when the decision departs from the suggestion or there is none": "Skriv "
    "en begrundelse: afgørelsen afviger fra forslaget, eller der er intet forslag.",
    "is not acceptable text": "Teksten kan ikke bruges. Fjern usynlige tegn, og prøv igen.",
    "is required when a case is rejected": "Skriv en begrundelse, når sagen afvises.",
    "is required when a triage is corrected": "Skriv en begrundelse for rettelsen af visiteringen.",
    "is required when the action was not done": "Skriv, hvad der skete, når handlingen "
    "ikke blev udført.",
}


def slug_of(exc: errors.KspError) -> str:
    """The problem type's slug the API answers ``exc`` with (``internal`` if none)."""
    for klass in type(exc).__mro__:
        if klass in PROBLEMS:
            return PROBLEMS[klass].slug
    return "internal"


def sentence_of(exc: errors.KspError) -> str:
    """What the person reads when ``exc`` refused what they did."""
    return SENTENCES.get(slug_of(exc), SENTENCES["internal"])


def field_message(message: str) -> str:
    """The Danish message of a field rule (the domain's ``FieldError.message``)."""
    if message in FIELD_SENTENCES:
        return FIELD_SENTENCES[message]
    if message.startswith("would make the list longer than"):
        return "Listen ville blive for lang. Fjern nogle sager først."
    for pattern, danish in _FIELD_RULES:
        if found := pattern.search(message):
            return danish.format(*found.groups())
    return FALLBACK_FIELD
