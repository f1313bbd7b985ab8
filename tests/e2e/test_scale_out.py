"""Issue 6, several instances: two `ksp serve` processes and two `ksp outbox work` processes
on one database, each with a data directory of its own, sharing secrets and the mail
signing key through configuration only. Driven through both at once, list versions stay
contiguous, the journal verifies on either, and no message is sent twice."""

from __future__ import annotations

import itertools
import os
import random
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path

import pytest

from conftest import BACKENDS, POSTGRES_URL, REQUIRE_POSTGRES
from ksp.mail.pgpmime import read_encrypted_message
from ksp.mail.service_key import check_service_key
from support.data import case_body
from support.deployment import Deployment, deployment
from support.keys import KeyMaker
from support.smtp import SmtpServer
from support.staff import Staff

WRITERS = 4
UPDATES_PER_WRITER = 6
RECIPIENTS = ["kommune@scale.example.dk", "politi@scale.example.dk"]


def database_url(backend: str) -> str | None:
    """None for SQLite; the test PostgreSQL for postgres (skipped or failed without one)."""
    if backend == "sqlite":
        return None
    if POSTGRES_URL is None:
        if REQUIRE_POSTGRES:
            pytest.fail("KSP_TEST_DATABASE_URL is not set")
        pytest.skip("KSP_TEST_DATABASE_URL is not set")
    return POSTGRES_URL


@dataclass
class Cluster:
    deployment: Deployment
    staff: Staff


@pytest.fixture(params=BACKENDS)
def cluster(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer) -> Iterator[Cluster]:
    """Two web processes without workers, two dedicated workers, one database."""
    with deployment(tmp_path, database_url(request.param), smtp) as made:
        # A lease far longer than any send: a message sent twice is then a fault of the
        # claiming, never the at-least-once repeat after a lease ran out.
        made.env["KSP_OUTBOX_LEASE_SECONDS"] = "300"
        staff = Staff.of(made)
        for name in ("web-a", "web-b"):
            base_url = made.serve(name).base_url
            assert base_url is not None
            staff.urls.append(base_url)
        made.work("worker-a")
        made.work("worker-b")
        yield Cluster(made, staff)


def writer(staff: Staff, meeting: str, cases: list[str], seed: int) -> Counter[str]:
    """Read the latest version through a random instance, change it through a random one,
    and circulate an accepted version through a random one; tally every status."""
    rng = random.Random(seed)
    tally: Counter[str] = Counter()
    for case_id in cases:
        with staff.client(rng.randrange(2)) as reader, staff.client(rng.randrange(2)) as api:
            versions = reader.get(f"/meetings/{meeting}/documents", headers=staff.kif)
            listed = versions.json()["versions"]
            body: dict[str, object] = {"add": [case_id], "reason": "To instanser"}
            if listed:
                body["base_version"] = listed[-1]["version"]
            changed = api.post(f"/meetings/{meeting}/list", json=body, headers=staff.kif)
            tally[f"change {changed.status_code}"] += 1
            if changed.status_code != 201:
                continue
            made = changed.json()
            path = f"/documents/{made['document_id']}/versions/{made['version']}/circulate"
            with staff.client(rng.randrange(2)) as sender:
                sent = sender.post(path, headers=staff.kif)
            tally[f"circulate {sent.status_code}"] += 1
            if sent.status_code == 202:
                tally["messages"] += len(sent.json()["recipients"])
    return tally


def test_two_instances_and_two_workers_keep_versions_contiguous_and_send_each_once(
    cluster: Cluster, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Issue 6: list versions 1..n with no gap whichever instance took the change, a 409
    for every stale base, the journal verifying on both, and every queued message
    delivered exactly once, signed by the one configured service key. Recipients are
    registered through one instance and circulated to through the other, whose keyring
    pins their keys from the database."""
    smtp.messages.clear()
    staff = cluster.staff
    keys = KeyMaker(tmp_path / "recipients")
    try:
        meeting = staff.new_meeting()
        staff.add_participants(meeting, keys, RECIPIENTS)
        cases = staff.submit_and_triage(WRITERS * UPDATES_PER_WRITER)
        with ThreadPoolExecutor(WRITERS) as pool:
            tallies = pool.map(
                writer,
                itertools.repeat(staff),
                itertools.repeat(meeting),
                [cases[w::WRITERS] for w in range(WRITERS)],
                range(WRITERS),
            )
            tally = sum(tallies, Counter())
        assert set(tally) <= {"change 201", "change 409", "circulate 202", "circulate 409"} | {
            "messages"
        }
        accepted = tally["change 201"]
        assert accepted >= 1
        for index in range(2):
            assert staff.versions(meeting, index) == list(range(1, accepted + 1))
            assert staff.journal_verifies(index)
        queued = cluster.deployment.wait_until_delivered()  # recorded as sent, by either worker
        messages = [m.data for m in smtp.messages if set(m.recipients) & set(RECIPIENTS)]
        assert len(queued) == len(messages) == tally["messages"]
        ids = [str(message_from_bytes(raw)["Message-ID"]) for raw in messages]
        assert sorted(ids) == sorted(message_id for message_id, _ in queued)  # each once
        made = cluster.deployment
        keys.gpg("--import", stdin=made.ksp("mail", "key").encode())
        configured = Path(made.env["KSP_MAIL_SIGNING_KEY_FILE"]).read_text(encoding="ascii")
        fingerprint = check_service_key(configured, made.env["KSP_MAIL_FROM"]).fingerprint
        for raw in messages:
            decrypted = keys.decrypt(read_encrypted_message(raw)[1])
            assert decrypted.ok
            assert decrypted.valid
            assert decrypted.fingerprint == fingerprint  # the key every instance was given
    finally:
        keys.close()


def test_an_idempotent_retry_may_reach_the_other_instance(cluster: Cluster) -> None:
    """A retry with the same Idempotency-Key through the other instance gets the first
    answer, and no second case is made."""
    staff = cluster.staff
    headers = {**staff.arrest, "Idempotency-Key": f"retry-{os.getpid()}"}
    body = case_body("kif-loop")
    with staff.client(0) as first, staff.client(1) as second:
        answers = [first.post("/cases", json=body, headers=headers)]
        answers.append(second.post("/cases", json=body, headers=headers))
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[0].json() == answers[1].json()
        listed = second.get("/cases", headers=staff.kif, params={"limit": 100}).json()
        assert [c["id"] for c in listed["items"]].count(answers[0].json()["id"]) == 1
