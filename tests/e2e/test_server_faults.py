"""Issue 6, faults: the server process is killed (SIGKILL) while list changes and
circulations stream in, and started again. Nothing is half-written: the journal verifies,
the list versions have no gap, and every message that was queued is delivered, at most
the one in flight at the kill repeated with its Message-ID. Also over a real socket: a
body over the limit and a token that has expired."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path

import httpx
import pytest
from test_scale_out import database_url

from conftest import BACKENDS
from ksp.domain.access import Role
from ksp.tokens import LEEWAY_SECONDS, issue_token
from support.data import case_body
from support.deployment import Deployment, Process, deployment
from support.keys import KeyMaker
from support.smtp import SmtpServer
from support.staff import Staff

RECIPIENTS = ["kommune@fault.example.dk", "politi@fault.example.dk"]
KILLS = 2
LIMIT = 65_536  # KSP_MAX_BODY_BYTES's default
CIRCULATIONS_BEFORE_KILL = 2


class Traffic(threading.Thread):
    """List changes, each circulated at once, until the server stops answering."""

    def __init__(self, staff: Staff, meeting: str, cases: Iterator[str]) -> None:
        super().__init__(daemon=True)
        self.staff, self.meeting, self.cases = staff, meeting, cases
        self.tally: Counter[str] = Counter()

    def run(self) -> None:
        try:
            with self.staff.client() as api:
                for case_id in self.cases:
                    self._change_and_circulate(api, case_id)
        except httpx.TransportError:
            self.tally["cut off"] += 1  # the kill: this request's answer never came

    def _change_and_circulate(self, api: httpx.Client, case_id: str) -> None:
        listed = api.get(f"/meetings/{self.meeting}/documents", headers=self.staff.kif)
        body: dict[str, object] = {"add": [case_id], "reason": "Under nedbrud"}
        if listed.json()["versions"]:
            body["base_version"] = listed.json()["versions"][-1]["version"]
        changed = api.post(f"/meetings/{self.meeting}/list", json=body, headers=self.staff.kif)
        self.tally[f"change {changed.status_code}"] += 1
        made = changed.json()
        path = f"/documents/{made['document_id']}/versions/{made['version']}/circulate"
        sent = api.post(path, headers=self.staff.kif)
        self.tally[f"circulate {sent.status_code}"] += 1


def restart(made: Deployment, staff: Staff, name: str) -> Process:
    server = made.serve(name, KSP_OUTBOX_IN_PROCESS="true")
    assert server.base_url is not None
    staff.urls[:] = [server.base_url]
    return server


@pytest.fixture(params=BACKENDS)
def made(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer) -> Iterator[Deployment]:
    with deployment(tmp_path, database_url(request.param), smtp) as running:
        yield running


def test_a_server_killed_during_list_changes_and_circulations_loses_nothing(
    made: Deployment, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Issue 6: SIGKILL twice mid-stream (the in-process worker dies with the server);
    after the restart the journal verifies, versions are 1..n, and every queued message
    arrives, at most one per kill repeated with the same Message-ID."""
    smtp.messages.clear()
    staff = Staff.of(made)
    restart(made, staff, "web")
    keys = KeyMaker(tmp_path / "recipients")
    try:
        meeting = staff.new_meeting()
        staff.add_participants(meeting, keys, RECIPIENTS)
        cases = iter(staff.submit_and_triage(40))
        circulated = 0
        for kill in range(KILLS):
            traffic = Traffic(staff, meeting, cases)
            traffic.start()
            deadline = time.monotonic() + 60
            while traffic.tally["circulate 202"] < CIRCULATIONS_BEFORE_KILL:
                assert time.monotonic() < deadline, traffic.tally
                time.sleep(0.01)
            time.sleep(0.05 * kill)  # land the kills at different points of the stream
            made.processes[-1].kill()
            traffic.join(timeout=60)
            assert not traffic.is_alive()
            assert set(traffic.tally) <= {"change 201", "circulate 202", "cut off"}
            circulated += traffic.tally["circulate 202"]
            restart(made, staff, "web")
        versions = staff.versions(meeting)
        assert versions == list(range(1, len(versions) + 1))
        assert staff.journal_verifies()
        queued = made.wait_until_delivered()
        assert len(queued) >= circulated * len(RECIPIENTS)
        time.sleep(1)  # a late duplicate would arrive about now
        delivered = [
            str(message_from_bytes(m.data)["Message-ID"])
            for m in smtp.messages
            if set(m.recipients) & set(RECIPIENTS)
        ]
        assert set(delivered) == {message_id for message_id, _ in queued}
        assert len(delivered) - len(set(delivered)) <= KILLS
    finally:
        keys.close()


@pytest.fixture(scope="module")
def server_and_staff(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Deployment, Staff]]:
    with deployment(tmp_path_factory.mktemp("limits"), None) as running:
        staff = Staff.of(running)
        restart(running, staff, "web")
        yield running, staff


def test_a_body_over_the_limit_is_refused_over_a_real_socket(
    server_and_staff: tuple[Deployment, Staff],
) -> None:
    """A case padded to exactly KSP_MAX_BODY_BYTES is taken; one byte more is 413, also
    when streamed without a Content-Length: the limit refuses only what it must."""
    _, staff = server_and_staff
    headers = {**staff.arrest, "content-type": "application/json"}

    def padded(size: int) -> bytes:
        body = json.dumps(case_body("kif-loop")).encode()
        return body + b" " * (size - len(body))

    with staff.client() as api:
        taken = api.post("/cases", content=padded(LIMIT), headers=headers)
        assert taken.status_code == 201, taken.text
        over = api.post("/cases", content=padded(LIMIT + 1), headers=headers)
        assert over.status_code == 413
        assert over.json()["type"].endswith("/payload-too-large")
        chunks = padded(LIMIT + 1)
        streamed = api.post(
            "/cases",
            content=(chunks[i : i + 4096] for i in range(0, len(chunks), 4096)),
            headers=headers,
        )
        assert streamed.status_code == 413


def test_a_token_that_has_expired_is_refused_over_a_real_socket(
    server_and_staff: tuple[Deployment, Staff],
) -> None:
    """A token one second past its exp and the clock-skew leeway gets 401 with
    WWW-Authenticate, and nothing is made."""
    made, staff = server_and_staff
    token = issue_token(
        base64.b64decode(made.env["KSP_TOKEN_SECRET"]),
        sub="late",
        role=Role.ARREST,
        unit="arrest-loop",
        ttl=dt.timedelta(hours=1),
        now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1, seconds=LEEWAY_SECONDS + 1),
    )
    expired = {"Authorization": f"Bearer {token}"}
    with staff.client() as api:
        before = api.get("/cases", headers=staff.kif, params={"limit": 100}).json()["items"]
        refused = api.post("/cases", json=case_body("kif-loop"), headers=expired)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert refused.json()["type"].endswith("/not-authenticated")
        after = api.get("/cases", headers=staff.kif, params={"limit": 100}).json()["items"]
        assert after == before
