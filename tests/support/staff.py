"""The people of a deployment on loopback, as synchronous HTTP clients: a jail, KiF and an
auditor, each reaching whichever server process a test points them at."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import httpx

from support.data import case_body
from support.deployment import Deployment
from support.keys import KeyMaker

MEETING = {
    "municipality_code": 101,
    "police_district": "koebenhavn",
    # The servers run on the real clock, and a meeting lies at most a day back.
    "scheduled_for": f"{dt.datetime.now(dt.UTC).date() + dt.timedelta(days=14)}T10:00:00+01:00",
    "title": "KSP-møde på loopback",
}


@dataclass
class Staff:
    kif: dict[str, str]
    arrest: dict[str, str]
    auditor: dict[str, str]
    urls: list[str] = field(default_factory=list)  # the server processes, in turn

    @classmethod
    def of(cls, deployment: Deployment) -> Staff:
        return cls(
            kif=deployment.token("kif", "kif-loop"),
            arrest=deployment.token("arrest", "arrest-loop"),
            auditor=deployment.token("auditor", "revision-loop"),
        )

    def client(self, index: int = 0) -> httpx.Client:
        base = self.urls[index % len(self.urls)]
        return httpx.Client(base_url=base + "/api/v1", timeout=60)

    def new_meeting(self) -> str:
        with self.client() as api:
            made = api.post("/meetings", json=MEETING, headers=self.kif)
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    def submit_and_triage(self, count: int) -> list[str]:
        """Cases submitted through one server and triaged through the next."""
        ids = []
        for n in range(count):
            with self.client(n) as submit, self.client(n + 1) as triage:
                created = submit.post("/cases", json=case_body("kif-loop"), headers=self.arrest)
                assert created.status_code == 201, created.text
                case_id = created.json()["id"]
                triaged = triage.post(
                    f"/cases/{case_id}/triage", json={"decision": "meeting"}, headers=self.kif
                )
                assert triaged.status_code == 200, triaged.text
                ids.append(case_id)
        return ids

    def add_participants(self, meeting: str, keys: KeyMaker, emails: list[str]) -> None:
        """Each registered through one server, added to the meeting through the next."""
        for n, email in enumerate(emails):
            with self.client(n) as api:
                registered = api.post(
                    "/recipients",
                    headers=self.kif,
                    json={
                        "name": f"Deltager {n}",
                        "email": email,
                        "agency": "municipality" if n % 2 == 0 else "police",
                        "unit": f"deltager-{n}",
                        "openpgp_key": keys.public(keys.make(f"Deltager {n} <{email}>")),
                    },
                )
                assert registered.status_code == 201, registered.text
            with self.client(n + 1) as api:
                added = api.post(
                    f"/meetings/{meeting}/participants",
                    headers=self.kif,
                    json={"recipient_id": registered.json()["id"]},
                )
                assert added.status_code == 201, added.text

    def versions(self, meeting: str, index: int = 0) -> list[int]:
        with self.client(index) as api:
            listed = api.get(f"/meetings/{meeting}/documents", headers=self.kif)
        assert listed.status_code == 200, listed.text
        return [v["version"] for v in listed.json()["versions"]]

    def journal_verifies(self, index: int = 0) -> bool:
        with self.client(index) as api:
            verified = api.get("/audit/verify", headers=self.auditor)
        assert verified.status_code == 200, verified.text
        return bool(verified.json()["ok"])
