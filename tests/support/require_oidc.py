"""KSP_REQUIRE_OIDC=1 (set by .ci/run): the run fails unless the sign-in tests against the
real OpenID provider ran and passed, and a missing Node fails them instead of skipping."""

from __future__ import annotations

import os

import pytest

REQUIRE_OIDC = os.environ.get("KSP_REQUIRE_OIDC") == "1"
_passed = {"oidc": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed and "oidc" in report.keywords:
        _passed["oidc"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_OIDC and exitstatus == 0 and _passed["oidc"] == 0:
        print("\nKSP_REQUIRE_OIDC=1 but no test against the OpenID provider ran")  # noqa: T201
        session.exitstatus = 1
