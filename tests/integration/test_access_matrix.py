"""CONTRACT.md "Who may do what", as a matrix: every /api/v1 route × every role × own and
foreign unit. A role that may not act gets 403; a foreign unit's case is 404 (its existence
must not leak); no token is 401."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from litestar import Litestar

from integration.test_proposals import taking_part
from support.data import Units, case_body
from support.flows import case_for_meeting, change_list, new_meeting
from support.keys import LONG_AGO, KeyMaker

ROLES = ("arrest", "kif", "participant", "auditor")
RELATIONS = ("own", "foreign")


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # as the app declares it; the ids of the fixture world fill it in

    def url(self, ids: dict[str, str]) -> str:
        path = self.template.replace("{n:int}", "1")
        for name, value in ids.items():
            path = path.replace("{" + name + ":uuid}", value)
        return "/api/v1" + path


ROUTES = {
    "submit": Route("POST", "/cases"),
    "list": Route("GET", "/cases"),
    "read": Route("GET", "/cases/{case_id:uuid}"),
    "triage": Route("POST", "/cases/{case_id:uuid}/triage"),
    "correct": Route("PATCH", "/cases/{case_id:uuid}"),
    "revisions": Route("GET", "/cases/{case_id:uuid}/revisions"),
    "withdraw": Route("POST", "/cases/{case_id:uuid}/withdraw"),
    "search": Route("POST", "/cases/search"),
    "reference-units": Route("GET", "/reference/units"),
    "mail-identity": Route("GET", "/mail/identity"),
    "create-meeting": Route("POST", "/meetings"),
    "list-meetings": Route("GET", "/meetings"),
    "read-meeting": Route("GET", "/meetings/{meeting_id:uuid}"),
    "change-list": Route("POST", "/meetings/{meeting_id:uuid}/list"),
    "versions": Route("GET", "/meetings/{meeting_id:uuid}/documents"),
    "read-version": Route("GET", "/documents/{document_id:uuid}/versions/{n:int}"),
    "diff": Route("GET", "/documents/{document_id:uuid}/diff"),
    "register-recipient": Route("POST", "/recipients"),
    "recipients": Route("GET", "/recipients"),
    "replace-key": Route("PUT", "/recipients/{recipient_id:uuid}/key"),
    "retire-recipient": Route("DELETE", "/recipients/{recipient_id:uuid}"),
    "add-participant": Route("POST", "/meetings/{meeting_id:uuid}/participants"),
    "participants": Route("GET", "/meetings/{meeting_id:uuid}/participants"),
    "remove-participant": Route(
        "DELETE", "/meetings/{meeting_id:uuid}/participants/{recipient_id:uuid}"
    ),
    "circulate": Route("POST", "/documents/{document_id:uuid}/versions/{n:int}/circulate"),
    "circulation": Route("GET", "/circulations/{circulation_id:uuid}"),
    "acting-municipality": Route("POST", "/acting-municipality"),
    "record-inquiry": Route("POST", "/inquiries"),
    "record-exchange": Route("POST", "/cases/{case_id:uuid}/exchanges"),
    "notification": Route("POST", "/exchanges/{exchange_id:uuid}/notification"),
    "note": Route("POST", "/exchanges/{exchange_id:uuid}/note"),
    "open-exchanges": Route("GET", "/exchanges"),
    "read-exchange": Route("GET", "/exchanges/{exchange_id:uuid}"),
    "inquiries": Route("GET", "/inquiries"),
    "decide-inquiry": Route("POST", "/inquiries/{inquiry_id:uuid}/decision"),
    "journal": Route("GET", "/audit/journal"),
    "verify": Route("GET", "/audit/verify"),
    "export": Route("GET", "/audit/export"),
    "access-log": Route("GET", "/audit/access-log"),
    "access-log-search": Route("POST", "/audit/access-log/search"),
    "request-erasure": Route("POST", "/audit/erasure"),
    "countersign-erasure": Route("POST", "/audit/erasure/{request_id:uuid}/countersign"),
    "subject-access": Route("POST", "/audit/subject-access"),
    "reschedule": Route("PATCH", "/meetings/{meeting_id:uuid}"),
    "cancel": Route("POST", "/meetings/{meeting_id:uuid}/cancel"),
    "cancellation": Route("GET", "/meetings/{meeting_id:uuid}/cancellation"),
    "record-attendance": Route("PUT", "/meetings/{meeting_id:uuid}/attendance"),
    "attendance": Route("GET", "/meetings/{meeting_id:uuid}/attendance"),
    "record-outcome": Route("POST", "/meetings/{meeting_id:uuid}/outcomes"),
    "outcomes": Route("GET", "/meetings/{meeting_id:uuid}/outcomes"),
    "invitation": Route("GET", "/meetings/{meeting_id:uuid}/invitation.ics"),
    "actions": Route("GET", "/actions"),
    "action-status": Route("POST", "/actions/{action_id:uuid}/status"),
    "worklist": Route("GET", "/worklist"),
    "write-minutes": Route("POST", "/meetings/{meeting_id:uuid}/minutes"),
    "inclusion-proof": Route("GET", "/audit/proofs/inclusion"),
    "consistency-proof": Route("GET", "/audit/proofs/consistency"),
}

# The meeting secretariat's routes (issue 8): the meeting's KiF unit writes and reads them;
# a participant reads the actions of its unit and closes them.
SECRETARIAT = (
    "write-minutes",
    "reschedule",
    "cancel",
    "cancellation",
    "record-attendance",
    "attendance",
    "record-outcome",
    "outcomes",
)

# (route, role) -> (status for own unit, status for foreign unit)
EXPECTED: dict[tuple[str, str], tuple[int, int]] = {
    ("submit", "arrest"): (201, 201),
    ("submit", "kif"): (201, 201),
    ("submit", "participant"): (422, 422),  # needs a meeting it takes part in
    ("submit", "auditor"): (403, 403),
    ("list", "arrest"): (200, 200),
    ("list", "kif"): (200, 200),
    ("list", "participant"): (200, 200),
    ("list", "auditor"): (403, 403),
    ("read", "arrest"): (200, 404),
    ("read", "kif"): (200, 404),
    ("read", "participant"): (404, 404),
    ("read", "auditor"): (403, 403),
    ("triage", "arrest"): (403, 403),
    ("triage", "kif"): (200, 404),
    ("triage", "participant"): (403, 403),
    ("triage", "auditor"): (403, 403),
    **{(name, "arrest"): (200, 404) for name in ("correct", "revisions", "withdraw")},
    **{(name, "kif"): (200, 404) for name in ("correct", "revisions", "withdraw")},
    **{
        (name, role): (403, 403)
        for name in ("correct", "revisions", "withdraw")
        for role in ("participant", "auditor")
    },
    ("search", "kif"): (200, 200),
    **{("search", role): (403, 403) for role in ("arrest", "participant", "auditor")},
    **{("reference-units", role): (200, 200) for role in ROLES},
    **{("mail-identity", role): (200, 200) for role in ROLES},
    ("create-meeting", "arrest"): (403, 403),
    ("create-meeting", "kif"): (201, 201),
    ("create-meeting", "participant"): (403, 403),
    ("create-meeting", "auditor"): (403, 403),
    ("list-meetings", "arrest"): (403, 403),
    ("list-meetings", "kif"): (200, 200),
    ("list-meetings", "participant"): (200, 200),
    ("list-meetings", "auditor"): (403, 403),
    ("read-meeting", "arrest"): (403, 403),
    ("read-meeting", "kif"): (200, 404),
    ("read-meeting", "participant"): (404, 404),  # until participants are registered
    ("read-meeting", "auditor"): (403, 403),
    ("change-list", "arrest"): (403, 403),
    ("change-list", "kif"): (201, 404),
    ("change-list", "participant"): (403, 403),
    ("change-list", "auditor"): (403, 403),
    **{(name, "arrest"): (403, 403) for name in ("versions", "read-version", "diff")},
    **{(name, "kif"): (200, 404) for name in ("versions", "read-version", "diff")},
    **{(name, "participant"): (403, 403) for name in ("versions", "diff")},
    ("read-version", "participant"): (404, 404),  # until circulated to its unit
    **{(name, "auditor"): (200, 200) for name in ("versions", "read-version", "diff")},
    **{
        (name, role): (403, 403)
        for name in ("journal", "verify", "export", "inclusion-proof", "consistency-proof")
        for role in ("arrest", "kif", "participant")
    },
    **{
        (name, "auditor"): (200, 200)
        for name in ("journal", "verify", "export", "inclusion-proof", "consistency-proof")
    },
    **{
        (name, role): (403, 403)
        for name in (
            "register-recipient",
            "recipients",
            "replace-key",
            "retire-recipient",
            "add-participant",
            "participants",
            "remove-participant",
            "circulate",
        )
        for role in ("arrest", "participant", "auditor")
    },
    ("register-recipient", "kif"): (201, 201),
    ("recipients", "kif"): (200, 200),
    ("replace-key", "kif"): (200, 404),
    ("retire-recipient", "kif"): (204, 404),
    ("add-participant", "kif"): (201, 404),
    ("participants", "kif"): (200, 404),
    ("remove-participant", "kif"): (204, 404),
    ("circulate", "kif"): (202, 404),
    ("circulation", "kif"): (200, 404),
    ("record-exchange", "arrest"): (201, 404),
    ("record-exchange", "kif"): (201, 404),
    ("notification", "arrest"): (201, 404),
    ("notification", "kif"): (201, 404),
    ("note", "arrest"): (201, 404),
    ("note", "kif"): (201, 404),
    ("open-exchanges", "arrest"): (200, 200),
    ("open-exchanges", "kif"): (200, 200),
    ("read-exchange", "arrest"): (200, 404),
    ("read-exchange", "kif"): (200, 404),
    **{
        (name, role): (403, 403)
        for name in ("record-exchange", "notification", "note", "open-exchanges", "read-exchange")
        for role in ("participant", "auditor")
    },
    ("record-inquiry", "kif"): (201, 422),  # a KiF records only for its own unit
    ("record-inquiry", "participant"): (201, 201),
    ("record-inquiry", "arrest"): (403, 403),
    ("record-inquiry", "auditor"): (403, 403),
    ("inquiries", "kif"): (200, 200),
    ("inquiries", "participant"): (200, 200),
    ("inquiries", "arrest"): (200, 200),
    ("inquiries", "auditor"): (403, 403),
    ("decide-inquiry", "kif"): (201, 404),
    ("decide-inquiry", "participant"): (403, 403),
    ("decide-inquiry", "arrest"): (403, 403),
    ("decide-inquiry", "auditor"): (403, 403),
    ("acting-municipality", "arrest"): (200, 200),
    ("acting-municipality", "kif"): (200, 200),
    ("acting-municipality", "participant"): (403, 403),
    ("acting-municipality", "auditor"): (403, 403),
    ("circulation", "auditor"): (200, 200),
    ("circulation", "arrest"): (403, 403),
    ("circulation", "participant"): (403, 403),
    ("access-log", "arrest"): (403, 403),
    ("access-log", "kif"): (403, 403),
    ("access-log", "participant"): (403, 403),
    ("access-log", "auditor"): (200, 200),
    ("access-log-search", "arrest"): (403, 403),
    ("access-log-search", "kif"): (403, 403),
    ("access-log-search", "participant"): (403, 403),
    ("access-log-search", "auditor"): (200, 200),
    **{
        (name, role): (403, 403)
        for name in SECRETARIAT
        for role in ("arrest", "participant", "auditor")
    },
    **{(name, "kif"): (200, 404) for name in SECRETARIAT},
    ("record-outcome", "kif"): (201, 404),
    ("write-minutes", "kif"): (201, 404),
    ("invitation", "kif"): (200, 404),
    ("invitation", "participant"): (404, 404),  # not a registered participant of it
    ("invitation", "arrest"): (403, 403),
    ("invitation", "auditor"): (403, 403),
    ("actions", "kif"): (200, 200),
    ("actions", "participant"): (200, 200),
    ("actions", "arrest"): (403, 403),
    ("actions", "auditor"): (403, 403),
    ("action-status", "kif"): (200, 404),
    ("action-status", "participant"): (200, 404),  # the action's own unit closes it
    ("action-status", "arrest"): (403, 403),
    ("action-status", "auditor"): (403, 403),
    ("worklist", "kif"): (200, 200),
    # kif asks for its own unit's data (a foreign unit holds nothing of the person: 404);
    # an auditor countersigns (the world's id names no request: 404); auditors only extract
    ("request-erasure", "kif"): (202, 404),
    **{("request-erasure", role): (403, 403) for role in ("arrest", "participant", "auditor")},
    ("countersign-erasure", "auditor"): (404, 404),
    **{("countersign-erasure", role): (403, 403) for role in ("arrest", "participant", "kif")},
    ("subject-access", "auditor"): (200, 200),
    **{("subject-access", role): (403, 403) for role in ("arrest", "participant", "kif")},
    **{("worklist", role): (403, 403) for role in ("arrest", "participant", "auditor")},
}


def unit_for(units: Units, role: str, relation: str) -> str:
    own = {
        "arrest": units.arrest,
        "kif": units.kif,
        "participant": units.participant,
        "auditor": units.auditor,
    }
    foreign = {
        "arrest": units.other_arrest,
        "kif": units.other_kif,
        "participant": "politi-" + units.participant,
        "auditor": "other-" + units.auditor,
    }
    return (own if relation == "own" else foreign)[role]


MEETING = {
    "municipality_code": 101,
    "police_district": "koebenhavn",
    "scheduled_for": "2026-12-10T10:00:00+01:00",
    "title": "Møde",
}


def payload(name: str, units: Units, ids: dict[str, str]) -> dict[str, Any] | None:
    bodies: dict[str, Callable[[], dict[str, Any]]] = {
        "submit": lambda: case_body(units.kif),
        "create-meeting": lambda: MEETING,
        "register-recipient": lambda: {
            "name": "Matrix",
            "email": MATRIX_EMAIL,
            "agency": "police",
            "unit": "politi-koebenhavn",
            "openpgp_key": ids["matrix_key"],
        },
        "add-participant": lambda: {"recipient_id": ids["spare_recipient"]},
        "replace-key": lambda: {"openpgp_key": ids["matrix_key"]},
        "circulate": lambda: {"again": True, "reason": "Matrix"},  # circulated in world()
        "change-list": lambda: {
            "add": [ids["spare_case"]],
            "reason": "Tilføjet",
            "base_version": 1,
        },
        "triage": lambda: {"decision": "meeting", "reason": "til møde"},
        "correct": lambda: {"urgent": True, "reason": "Hastende"},
        "withdraw": lambda: {"reason": "Trukket tilbage"},
        "search": lambda: {"cpr": "010190-1234"},
        "record-exchange": lambda: {
            "occurred_on": "2026-11-20",
            "agencies": ["police"],
            "summary": "Udveksling",
        },
        "notification": lambda: {"told": True, "told_on": "2026-11-21", "how": "Samtale"},
        "note": lambda: {"where": "personjournal"},
        "record-inquiry": lambda: {
            "cpr": "010190-1234",
            "from_agency": "municipality",
            "received_on": "2026-11-01",
            "kif_unit": units.kif,
        },
        "decide-inquiry": lambda: {"eligible": True, "justification": "Vurderet"},
        "acting-municipality": lambda: {
            "kept_home": False,
            "previous_municipality_code": 461,
            "jail_municipality_code": 101,
        },
        "access-log-search": lambda: {"cpr": "010190-1234"},
        "request-erasure": lambda: {"cpr": "010190-1234", "reason": "Afgørelse"},
        "subject-access": lambda: {"cpr": "010190-1234"},
        "reschedule": lambda: {"location": "Lokale 2", "reason": "Flyttet"},
        "cancel": lambda: {"reason": "Aflyst"},
        "record-attendance": lambda: {"attendees": [ATTENDEE]},
        "record-outcome": lambda: {
            "case_id": ids["listed_case"],
            "summary": "Drøftet",
            "decision": "follow-up",
            "actions": [ACTION | {"unit": units.participant}],
        },
        "action-status": lambda: {"status": "done"},
        "write-minutes": lambda: {"reason": "Referat"},
    }
    make = bodies.get(name)
    return None if make is None else make()


MATRIX_EMAIL = "matrix@politi.dk"
ATTENDEE = {
    "name": "Mette Sekretær",
    "agency": "kf",
    "unit": "kif-hovedstaden",
    "role": "secretary",
    "present": True,
    "confidentiality_acknowledged": True,
}
ACTION = {"agency": "municipality", "description": "Kontakt", "due_on": "2026-12-20"}
SPARE_EMAIL = "spare@politi.dk"
# The world has journalised at least one version, so tree size 1 exists.
PARAMS: dict[str, dict[str, int]] = {
    "diff": {"from": 1, "to": 1},
    "inclusion-proof": {"index": 0, "size": 1},
    "consistency-proof": {"from": 1, "to": 1},
}


@pytest.fixture(scope="module")
def matrix_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    maker = KeyMaker(tmp_path_factory.mktemp("matrix-key"))
    fingerprint = maker.make(f"Matrix <{MATRIX_EMAIL}>", at=LONG_AGO)
    maker.gpg("--quick-add-uid", fingerprint, f"Spare <{SPARE_EMAIL}>", at=LONG_AGO)
    yield maker.public(fingerprint)
    maker.close()


MAIL_ROUTES = {
    "add-participant",
    "remove-participant",
    "circulate",
    "circulation",
    "replace-key",
    "retire-recipient",
}
ACTION_ROUTES = {"action-status"}
HELD_ROUTES = {"write-minutes"}  # minutes are written for a held meeting


async def world(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    matrix_key: str,
    *,
    with_mail: bool,
    with_action: bool = False,
    held: bool = False,
) -> dict[str, str]:
    """A submitted case; a meeting of units.kif with version 1 of its list, circulated to
    one participant; a spare triaged case and a spare recipient."""
    kif = auth("kif", units.kif)
    created = await client.post(
        "/api/v1/cases", json=case_body(units.kif), headers=auth("arrest", units.arrest)
    )
    meeting_id = await new_meeting(client, auth, units)
    listed = await case_for_meeting(client, auth, units)
    made = await change_list(client, auth, units, meeting_id, add=[listed])
    ids = {
        "case_id": created.json()["id"],
        "meeting_id": meeting_id,
        "document_id": made.json()["document_id"],
        "spare_case": await case_for_meeting(client, auth, units),
        "listed_case": listed,
        "matrix_key": matrix_key,
        "circulation_id": "00000000-0000-4000-8000-000000000000",
        "request_id": "00000000-0000-4000-8000-000000000000",
        "action_id": "00000000-0000-4000-8000-000000000000",
    }
    if with_action:
        outcome = await client.post(
            f"/api/v1/meetings/{meeting_id}/outcomes",
            headers=kif,
            json={
                "case_id": listed,
                "summary": "Drøftet",
                "decision": "follow-up",
                "actions": [ACTION | {"unit": units.participant}],
            },
        )
        ids["action_id"] = outcome.json()["action_ids"][0]
    if held:
        attended = await client.put(
            f"/api/v1/meetings/{meeting_id}/attendance", headers=kif, json={"attendees": [ATTENDEE]}
        )
        assert attended.status_code == 200, attended.text
    inquiry = await client.post(
        "/api/v1/inquiries",
        headers=kif,
        json={"cpr": "010190-1234", "from_agency": "police", "received_on": "2026-11-01"},
    )
    ids["inquiry_id"] = inquiry.json()["id"]
    exchange = await client.post(
        f"/api/v1/cases/{ids['case_id']}/exchanges",
        headers=auth("arrest", units.arrest),
        json={"occurred_on": "2026-11-20", "agencies": ["police"], "summary": "Udveksling"},
    )
    ids["exchange_id"] = exchange.json()["id"]
    if not with_mail:  # recipients and gpg cost time: only for the routes that need them
        return ids
    recipient = {
        "name": "Matrix",
        "email": MATRIX_EMAIL,
        "agency": "police",
        "unit": "politi-koebenhavn",
        "openpgp_key": matrix_key,
    }
    first, spare = [  # one registration per address and unit
        (await client.post("/api/v1/recipients", json=recipient | e, headers=kif)).json()["id"]
        for e in ({"email": MATRIX_EMAIL}, {"email": SPARE_EMAIL})
    ]
    await client.post(
        f"/api/v1/meetings/{meeting_id}/participants", json={"recipient_id": first}, headers=kif
    )
    circulated = await client.post(
        f"/api/v1/documents/{ids['document_id']}/versions/1/circulate", headers=kif
    )
    return {
        **ids,
        "circulation_id": circulated.json()["circulation_id"],
        "spare_recipient": spare,
        "recipient_id": first,  # a participant: removed, its key replaced, or retired
    }


def test_the_matrix_covers_every_api_route(app: Litestar) -> None:
    """Every route under /api/v1 is in the matrix, with every role."""
    served = {
        (method, route.path)
        for route in app.routes
        if route.path.startswith("/api/v1")
        for method in route.methods
        if method not in {"HEAD", "OPTIONS"}
    }
    assert served == {(r.method, "/api/v1" + r.template) for r in ROUTES.values()}
    assert set(EXPECTED) == {(name, role) for name in ROUTES for role in ROLES}


@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ROUTES))
async def test_role_and_unit_matrix(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    name: str,
    role: str,
    relation: str,
    matrix_key: str,
) -> None:
    """CONTRACT.md: roles and unit scoping, enforced in one place."""
    ids = await world(
        client,
        auth,
        units,
        matrix_key,
        with_mail=name in MAIL_ROUTES,
        with_action=name in ACTION_ROUTES,
        held=name in HELD_ROUTES,
    )
    case_id = ids["case_id"]
    route = ROUTES[name]
    headers = auth(role, unit_for(units, role, relation))
    params = PARAMS.get(name)
    response = await client.request(
        route.method,
        route.url(ids),
        params=params,
        json=payload(name, units, ids),
        headers=headers,
    )
    assert response.status_code == EXPECTED[name, role][RELATIONS.index(relation)], response.text
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
    if name == "list" and response.status_code == 200:
        visible = {item["id"] for item in response.json()["items"]}
        may_see = relation == "own" and role in {"arrest", "kif"}
        assert (case_id in visible) is may_see


@pytest.mark.parametrize("name", list(ROUTES))
async def test_every_api_route_needs_a_token(
    client: httpx.AsyncClient, units: Units, name: str
) -> None:
    """CONTRACT.md: no token or a bad one is 401."""
    route = ROUTES[name]
    nobody = "00000000-0000-4000-8000-000000000000"
    ids = dict.fromkeys(
        (
            "case_id",
            "meeting_id",
            "document_id",
            "circulation_id",
            "inquiry_id",
            "exchange_id",
            "spare_case",
            "spare_recipient",
            "recipient_id",
            "matrix_key",
            "listed_case",
            "action_id",
            "request_id",
        ),
        nobody,
    )
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic x"}):
        response = await client.request(
            route.method, route.url(ids), json=payload(name, units, ids), headers=headers
        )
        assert response.status_code == 401
        assert response.json()["type"].endswith("/not-authenticated")
        assert response.headers["www-authenticate"] == "Bearer"


# (role of the token, the unit it names) -> whose case it must not see. Security finding 8:
# the unit scope ignored the role, so a token naming another role's unit read its cases.
MIXED = {
    "arrest with a participant's unit": ("arrest", "participant"),
    "arrest with a KiF unit": ("arrest", "kif"),
    "participant with an arrest unit": ("participant", "arrest"),
    "kif with an arrest unit": ("kif", "arrest"),
    "participant with a KiF unit": ("participant", "kif"),
}


async def cases_by_role(
    client: httpx.AsyncClient, auth: Callable[..., dict[str, str]], units: Units, keys: KeyMaker
) -> dict[str, str]:
    """One case each submitted by the jail, by KiF, and proposed by the participant, each
    with an exchange whose duties are open."""
    meeting = await taking_part(client, auth, units, keys)
    submitters = {
        "arrest": (auth("arrest", units.arrest), case_body(units.kif)),
        "kif": (auth("kif", units.kif), case_body(units.kif)),
        "participant": (
            auth("participant", units.participant),
            case_body(units.kif, meeting_id=meeting),
        ),
    }
    ids = {}
    for role, (headers, body) in submitters.items():
        created = await client.post("/api/v1/cases", json=body, headers=headers)
        assert created.status_code == 201, created.text
        ids[role] = created.json()["id"]
        exchange = await client.post(
            f"/api/v1/cases/{ids[role]}/exchanges",
            headers=auth("kif", units.kif),
            json={"occurred_on": "2026-11-20", "agencies": ["police"], "summary": "Udveksling"},
        )
        assert exchange.status_code == 201, exchange.text
    return ids


@pytest.mark.parametrize("mix", list(MIXED))
async def test_a_token_naming_another_roles_unit_sees_none_of_its_cases(
    client: httpx.AsyncClient,
    auth: Callable[..., dict[str, str]],
    units: Units,
    keys: KeyMaker,
    mix: str,
) -> None:
    """Finding 8: cases are scoped by role and unit together, for lists, reads and duties."""
    ids = await cases_by_role(client, auth, units, keys)
    role, owner = MIXED[mix]
    unit = {"arrest": units.arrest, "kif": units.kif, "participant": units.participant}[owner]
    headers = auth(role, unit)
    listed = await client.get("/api/v1/cases", headers=headers)
    assert listed.status_code == 200
    assert set(ids.values()).isdisjoint(item["id"] for item in listed.json()["items"])
    for case_id in ids.values():
        read = await client.get(f"/api/v1/cases/{case_id}", headers=headers)
        assert read.status_code == 404
    if role == "arrest":
        duties = await client.get("/api/v1/exchanges", params={"open": "true"}, headers=headers)
        assert duties.status_code == 200, duties.text
        assert duties.json()["items"] == []
