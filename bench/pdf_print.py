"""The PDF of a 200-person version, and the event loop while PDFs are printed.

What is measured: the service's own printing path, in this process: a version of 200
people (random names, CPR numbers and two-line concerns) rendered to its Danish HTML by
``ksp.rendering.render_printable`` (with 30 participants and the changes since a previous
version), then printed by ``ksp.printing.PdfRenderer`` (WeasyPrint, PDF/A-2b, in worker
processes; two, as the service's default ``KSP_PDF_WORKERS``), with its time-out and limits.

- ``print``: ``--pdf-prints`` prints one after another after a warm-up print (the workers
  started and imported WeasyPrint); p50 and p95 of each, from the HTML to the PDF bytes.
- ``event loop lag``: a ticker on this process's event loop sleeps 5 ms at a time and notes
  how late it wakes, while ``--pdf-concurrent`` (10) prints are awaited at once (they queue
  for the two workers). The target: lag p99 within 20 ms, i.e. nothing of printing runs on
  the loop. The same ticker runs alone beforehand, for the machine's own lag.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass
from typing import Any

from harness import random_cpr, random_name
from ksp.domain.circulation import Agency, Recipient
from ksp.domain.documents import DocumentVersion, Printable, changes_of
from ksp.domain.lists import ListEntry
from ksp.printing import PdfLimits, PdfRenderer
from ksp.rendering import render_printable

TARGET_LAG_P99_MS = 20.0
TICK_S = 0.005
AT = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class PdfConfig:
    persons: int
    prints: int
    concurrent: int
    workers: int

    def as_json(self) -> dict[str, Any]:
        return {
            "persons": self.persons,
            "prints": self.prints,
            "concurrent": self.concurrent,
            "workers": self.workers,
            "target": f"event loop lag p99 within {TARGET_LAG_P99_MS:g} ms while "
            f"{self.concurrent} PDFs print",
        }


def _version(entries: tuple[ListEntry, ...], n: int) -> DocumentVersion:
    meeting = {
        "id": "bench-meeting",
        "title": "KSP-møde København",
        "scheduled_for": "2026-12-10T10:00:00+01:00",
        "municipality_code": 101,
        "police_district": "koebenhavn",
        "kif_unit": "kif-bench",
    }
    return DocumentVersion(
        document_id="bench-document",
        meeting_id="bench-meeting",
        version=n,
        sha256="0" * 64,
        created_at=AT,
        created_by_sub="bench",
        reason="Bench: one person replaced",
        entries=entries,
        body={"meeting": meeting, "entries": [], "created_by_name": "Bench"},
    )


def printable(persons: int) -> Printable:
    rng = random.Random(11)
    entries = tuple(
        ListEntry(
            case_id=f"case-{i:04d}",
            name=random_name(rng),
            cpr=random_cpr(rng),
            concern=f"Bekymring for radikalisering, sag {i}.\nSet sammen med andre i {i % 7} uger.",
            custody="remand",
            submitted_by_unit="arrest-bench",
        )
        for i in range(persons + 1)
    )
    previous, current = _version(entries[:-1], 1), _version(entries[1:], 2)
    participants = [
        Recipient(
            id=f"r{i}",
            kif_unit="kif-bench",
            name=f"Modtager {i:02d}",
            email=f"modtager{i:02d}@bench.kommune.dk",
            agency=(Agency.MUNICIPALITY, Agency.POLICE, Agency.KF)[i % 3],
            unit=f"modtager-{i:02d}",
            fingerprint="0" * 40,
            expires_at=None,
            created_at=AT,
            created_by_sub="bench",
        )
        for i in range(30)
    ]
    return Printable(current, participants, changes_of(previous, current))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def ticker(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        due = time.perf_counter() + TICK_S
        await asyncio.sleep(TICK_S)
        lags.append(max(0.0, time.perf_counter() - due))


async def lag_while(work: Any) -> tuple[list[float], float]:
    """The ticker's lags while ``work`` is awaited, and how long it took."""
    stop, lags = asyncio.Event(), []
    tick = asyncio.create_task(ticker(stop, lags))
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    stop.set()
    await tick
    return lags, took


def lag_ms(lags: list[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(lags) * 1000, 2),
        "p99": round(percentile(lags, 0.99) * 1000, 2),
        "max": round(max(lags) * 1000, 2),
        "ticks": len(lags),
    }


async def measure(config: PdfConfig) -> dict[str, Any]:
    renderer = PdfRenderer(PdfLimits(workers=config.workers, timeout_seconds=120.0))
    try:
        started = time.perf_counter()
        html = render_printable(printable(config.persons))
        html_s = time.perf_counter() - started
        first = time.perf_counter()
        pdf = await renderer.render(html)
        first_s = time.perf_counter() - first
        times = []
        for _ in range(config.prints):
            began = time.perf_counter()
            await renderer.render(html)
            times.append(time.perf_counter() - began)
        idle, _ = await lag_while(asyncio.sleep(2.0))
        busy, took = await lag_while(
            asyncio.gather(*(renderer.render(html) for _ in range(config.concurrent)))
        )
    finally:
        renderer.close()
    busy_lag = lag_ms(busy)
    return {
        "html_ms": round(html_s * 1000, 1),
        "first_print_ms": round(first_s * 1000, 1),
        "print_ms": {
            "p50": round(statistics.median(times) * 1000, 1),
            "p95": round(percentile(times, 0.95) * 1000, 1),
            "max": round(max(times) * 1000, 1),
        },
        "pdf_bytes": len(pdf),
        "concurrent_prints_s": round(took, 2),
        "loop_lag_idle_ms": lag_ms(idle),
        "loop_lag_while_printing_ms": busy_lag,
        "meets_target": busy_lag["p99"] <= TARGET_LAG_P99_MS,
    }


def bench_pdf(config: PdfConfig) -> dict[str, Any]:
    return asyncio.run(measure(config))
