"""What ``bench/load.py`` counts per operation, and how it sums that up for ``load.json``.

Every request ends in one of three ways, and the split is the point of the load run:

- ``ok``: a 2xx answer; its latency goes into the percentiles;
- ``by_design``: ``409 …/not-latest-version``, the answer a client gets when another one
  changed the list first (a stale ``base_version``, or circulating a version that is no
  longer the latest). The client re-reads and carries on, as a real one would;
- ``unexpected``: any other answer of 400 or more, a transport error (keyed by the
  exception's name), or a 2xx whose content is wrong (keyed by what was wrong). One of
  these fails the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from harness import percentile_ms

STALE_VERSION = "/not-latest-version"  # the end of the problem type of a stale version
PERCENTILES = (50, 95, 99)


@dataclass
class OpTally:
    """One operation's requests: how each ended, and the latencies of the 2xx answers."""

    count: int = 0
    ok_latencies: list[float] = field(default_factory=list)
    by_design: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    unexpected_types: Counter[str] = field(default_factory=Counter)  # problem types, to diagnose


@dataclass
class Tally:
    """Every operation's :class:`OpTally`; one per server and phase (warm-up, measured)."""

    operations: dict[str, OpTally] = field(default_factory=dict)

    def of(self, operation: str) -> OpTally:
        return self.operations.setdefault(operation, OpTally())

    def unexpected(self) -> int:
        return sum(op.unexpected.total() for op in self.operations.values())


def is_by_design(status: int, problem_type: str) -> bool:
    """Only a stale version is an error by design; every other 409 is unexpected."""
    return status == 409 and problem_type.endswith(STALE_VERSION)


def merged(tallies: Iterable[OpTally]) -> OpTally:
    total = OpTally()
    for tally in tallies:
        total.count += tally.count
        total.ok_latencies += tally.ok_latencies
        total.by_design.update(tally.by_design)
        total.unexpected.update(tally.unexpected)
        total.unexpected_types.update(tally.unexpected_types)
    return total


def summary(tally: OpTally, elapsed_s: float) -> dict[str, Any]:
    """``requests_per_s`` counts every request; ``ok_per_s`` only the 2xx answers."""
    ordered = sorted(tally.ok_latencies)
    elapsed = elapsed_s or 1.0
    result: dict[str, Any] = {
        "count": tally.count,
        "ok": len(ordered),
        "requests_per_s": round(tally.count / elapsed, 1),
        "ok_per_s": round(len(ordered) / elapsed, 1),
        "latency_ms": {f"p{pct}": percentile_ms(ordered, pct) for pct in PERCENTILES},
        "errors": {
            "by_design": dict(sorted(tally.by_design.items())),
            "unexpected": dict(sorted(tally.unexpected.items())),
        },
    }
    if tally.unexpected_types:
        result["errors"]["unexpected_types"] = dict(tally.unexpected_types.most_common())
    return result


def report(tally: Tally, elapsed_s: float, order: Iterable[str]) -> dict[str, Any]:
    """``overall`` and one entry per operation (in ``order``: the mix's, then any others)."""
    names = [name for name in order if name in tally.operations]
    names += sorted(set(tally.operations) - set(names))
    return {
        "elapsed_s": round(elapsed_s, 2),
        "overall": summary(merged(tally.operations.values()), elapsed_s),
        "operations": {name: summary(tally.operations[name], elapsed_s) for name in names},
    }


def unexpected_lines(operations: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One line per operation with unexpected errors, for stderr."""
    lines = []
    for name, result in operations.items():
        unexpected = result["errors"]["unexpected"]
        if unexpected:
            kinds = ", ".join(f"{kind} x{count}" for kind, count in unexpected.items())
            types = result["errors"].get("unexpected_types")
            lines.append(f"{name}: {kinds}" + (f" (problem types: {types})" if types else ""))
    return lines
