"""The README's performance section quotes the committed reports: its ratios are those of
`bench/load.json` and `bench/results.json`, so a rerun of `make load` or `make bench` that
is committed without updating the README fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def performance_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Performance", 1)[1]


def report(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((ROOT / "bench" / name).read_text(encoding="utf-8"))
    return loaded


def quoted(label: str) -> float:
    """The bold ratio in the table row that starts with ``label``."""
    match = re.search(
        rf"^\| {re.escape(label)} \|.*?\*\*([0-9.]+)\*\*", performance_section(), re.MULTILINE
    )
    assert match is not None, f"no row {label!r} with a bold ratio"
    return float(match.group(1))


def test_the_readme_quotes_the_load_ratios_of_bench_load_json() -> None:
    backends = report("load.json")["backends"]
    assert quoted("SQLite") == round(backends["sqlite"]["ratio"], 2)
    assert quoted("PostgreSQL") == round(backends["postgresql"]["ratio"], 2)


def test_the_readme_quotes_the_submission_ratios_of_bench_results_json() -> None:
    submissions = report("results.json")["case_submission"]
    assert quoted("SQLite (aiosqlite)") == round(submissions["sqlite"]["ratio"], 2)
    assert quoted("PostgreSQL (asyncpg)") == round(submissions["postgresql"]["ratio"], 2)


def test_both_reports_record_the_machine_and_the_versions() -> None:
    for name in ("load.json", "results.json"):
        made = report(name)
        assert made["machine"]["cpu_count"] >= 1, name
        assert made["versions"]["litestar"], name
        assert made["versions"]["sqlalchemy"], name
