"""Hostile input over real HTTP: schemathesis generates requests from the OpenAPI document for
every operation with every role's token; no 5xx, no response outside the schema, no personal
data echoed in an error."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import make_settings
from ksp.api.app import create_app
from support.server import Server, running_server

ROLES = {
    "arrest": "arrest-fuzz",
    "kif": "kif-fuzz",
    "participant": "kommune-101",
    "auditor": "revision",
}
# `make test` sends at least MIN_REQUESTS over the 37 operations (hypothesis stops early
# on operations with few distinct inputs); `make fuzz` sets KSP_FUZZ_EXAMPLES far higher.
EXAMPLES_PER_OPERATION = int(os.environ.get("KSP_FUZZ_EXAMPLES", "100"))
MIN_REQUESTS = 1_000
TOKENS: dict[str, str] = {}
SENT: Counter[str] = Counter()  # requests per operation, for the count at the end
_PLAIN = re.compile(r"[A-Za-z .,_/-]*")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def _openapi_document() -> dict[str, Any]:
    """The same document the server serves, built from the app without a database."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(make_settings(Path(tmp)))
        return app.openapi_schema.to_schema()


def _strings(value: object) -> Iterator[str]:
    """Generated strings that cannot match the fixed English of an error text by chance.

    Plain ASCII words ("status", "request") are left out; anything with a digit, a non-ASCII
    letter or other punctuation (CPR numbers, Danish names) is checked.
    """
    if isinstance(value, str) and len(value.strip()) >= 6 and not _PLAIN.fullmatch(value):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_DOCUMENT = _openapi_document()
schema = schemathesis.openapi.from_dict(_DOCUMENT)


@schema.parametrize()
@schema.given(role=st.sampled_from(list(ROLES)))
@settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck)
)
def test_no_generated_request_breaks_the_service(
    case: schemathesis.Case, server: Server, role: str
) -> None:
    """No 5xx, no response outside the schema, for any generated request and any role."""
    if role not in TOKENS:
        TOKENS[role] = server.token(role, ROLES[role], email="fuzz@kommune.dk")
    token = TOKENS[role]
    response = case.call(base_url=server.base_url, headers={"Authorization": f"Bearer {token}"})
    SENT[f"{case.method.upper()} {case.path}"] += 1
    case.validate_response(response, checks=CHECKS)
    if response.status_code >= 400:
        sent = [case.body, case.path_parameters or {}, case.query or {}]
        for value in _strings(sent):
            assert value not in response.text, "an error echoed a value from the request"


def test_every_operation_was_fuzzed_with_enough_requests_in_all() -> None:
    """Runs after the generated cases above (file order): every operation of the document
    got requests, and there were at least MIN_REQUESTS of them."""
    if not SENT:
        pytest.skip("the generated cases were not run in this session")
    operations = {
        f"{method.upper()} {path}"
        for path, item in _DOCUMENT["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert set(SENT) == operations
    assert sum(SENT.values()) >= MIN_REQUESTS, sum(SENT.values())
