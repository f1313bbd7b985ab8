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
    command += ["--backend", which, "--mix", "api", "--out", str(out)]
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
    assert "pages" not in result  # --mix api; the page mix has its test below
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


PAGES = {"case_list", "case_page", "meeting", "meeting_list", "list_diff"}


def test_the_page_mix_signs_in_browses_and_records_its_targets(tmp_path: Path) -> None:
    """``--quick --mix pages``: sessions through the development sign-in read every page
    with 200s only; the report has p50/p95/p99 per page, the bare page of the same sizes,
    and whether each target holds (recorded as a yes or no, whichever it is)."""
    out = tmp_path / "load.json"
    env = {name: value for name, value in os.environ.items() if not name.startswith("KSP_")}
    command = [sys.executable, str(LOAD), "--quick", "--mix", "pages", "--backend", "sqlite"]
    command += ["--out", str(out)]
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    report = json.loads(out.read_text())
    assert set(report["config"]["page_mix"]) == PAGES
    assert report["config"]["pages"]["sessions"] == 8
    assert report["unexpected_errors"] == 0
    result = report["backends"]["sqlite"]
    assert "service" not in result  # --mix pages: the API mix did not run
    pages = result["pages"]
    assert set(pages["service"]["operations"]) == PAGES
    assert set(pages["bare"]["operations"]) == PAGES
    for figures in [
        pages["service"]["overall"],
        pages["bare"]["overall"],
        *pages["service"]["operations"].values(),
        *pages["bare"]["operations"].values(),
    ]:
        assert_clean(figures)
        assert figures["errors"]["by_design"] == {}
        assert figures["ok"] > 0
    for size in pages["sizes"].values():
        assert size["service_bytes"] > 1000
        assert size["bare_rows"] >= 0
    assert pages["ratio"] > 0
    held = pages["targets"]
    assert held["p95_ms_at_most"] == 150.0
    assert held["ratio_at_least"] == 0.3
    assert set(held["p95_holds"]) == PAGES
    assert all(isinstance(value, bool) for value in held["p95_holds"].values())
    assert held["ratio_holds"] is (pages["ratio"] >= 0.3)
    assert held["all_hold"] is (held["ratio_holds"] and all(held["p95_holds"].values()))
