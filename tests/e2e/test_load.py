"""`make load` in small: `bench/load.py` against real servers for a few seconds.

It checks what the load proves, not how fast it went: every operation of the mix ran, no
request failed other than by design (409 on a stale version), the outbox delivered nothing
as failed, and the file names the machine and the versions. No timing is asserted, so a
slow or busy machine cannot fail it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import POSTGRES_URL, REQUIRE_POSTGRES

LOAD = Path(__file__).resolve().parents[2] / "bench" / "load.py"
OPERATIONS = {
    "case_submission",
    "list_read",
    "list_update",
    "circulation",
    "audit_journal",
    "audit_verify",
}
KEYS = {"sqlite": "sqlite", "postgres": "postgresql"}


def run_load(which: str, out: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("KSP_")}
    if which == "postgres":
        assert POSTGRES_URL is not None
        env["KSP_BENCH_DATABASE_URL"] = POSTGRES_URL
    command = [sys.executable, str(LOAD), "--seconds", "4", "--clients", "8"]
    command += ["--backend", which, "--out", str(out)]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def assert_clean(figures: dict[str, Any]) -> None:
    """Ran, and failed only by design. (An operation may have had only 409s in so short a
    run, so answers of 2xx are asserted overall, not per operation.)"""
    assert figures["count"] > 0
    assert figures["requests_per_s"] > 0
    assert figures["errors"]["unexpected"] == {}
    assert set(figures["errors"]["by_design"]) <= {"409"}
    assert set(figures["latency_ms"]) == {"p50", "p95", "p99"}


@pytest.mark.parametrize("which", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_short_load_has_no_unexpected_errors(which: str, tmp_path: Path) -> None:
    if which == "postgres" and not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("KSP_TEST_DATABASE_URL is not set")
        pytest.skip("KSP_TEST_DATABASE_URL is not set")
    out = tmp_path / "load.json"
    done = run_load(which, out)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = json.loads(out.read_text())
    assert report["machine"]["cpu_count"] >= 1
    assert report["machine"]["python"]
    assert report["versions"]["ksp"]
    assert report["versions"]["litestar"]
    assert report["versions"]["sqlalchemy"]
    assert report["unexpected_errors"] == 0
    assert set(report["config"]["mix"]) == OPERATIONS
    assert list(report["backends"]) == [KEYS[which]]

    result = report["backends"][KEYS[which]]
    service, bare = result["service"], result["bare"]
    assert set(service["operations"]) == OPERATIONS
    for figures in [service["overall"], *service["operations"].values(), bare["overall"]]:
        assert_clean(figures)
    pages = result["pages"]  # issue 10: signed-in sessions on the pages, beside a bare page
    assert set(pages["service"]["operations"]) == {"page_case_list", "page_case"}
    assert pages["page_bytes"] > 1000
    for figures in [*pages["service"]["operations"].values(), pages["bare"]["overall"]]:
        assert_clean(figures)
    assert service["overall"]["ok_per_s"] > 0
    assert bare["overall"]["ok_per_s"] > 0
    assert set(bare["operations"]) == {"write", "read"}
    assert result["ratio"] > 0
    assert result["unexpected_errors"] == 0
    mail = result["outbox"]
    assert mail["queued"] == sum(mail["by_status"].values())
    assert mail["by_status"].get("failed", 0) == 0
    assert mail["drained"] is True
    assert mail["sent"] == mail["queued"]
