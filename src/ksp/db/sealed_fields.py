"""Every sealed personal field outside the journal, with the data key it belongs under.

One table per :class:`SealedFields`: its ``*_ct`` columns, the context each is bound to (its
table, column and row, as the stores seal it) and the owner of the data key it goes under
(``ksp.db.data_key_store``). ``ksp keys migrate`` reseals, by this list, what is still
under ``KSP_DATA_KEYS`` (format 1), and ``ksp keys check`` counts what is left.

Which key, and why (the README's "Data protection" says the same):

- a case's fields, revisions and triages: the case's key; erased with the case;
- an exchange's summary and its records: the exchange's key. An exchange has a retention
  period of its own, counted from its creation, so it cannot share the case's key; the
  erasure of the case's person destroys it with the case's;
- an outcome's summary, its actions' descriptions and their statuses' notes: the outcome's
  key, erased whole by the outcome's retention or its person's erasure;
- an inquiry's CPR number and its decisions' justifications: the inquiry's key (an inquiry
  belongs to no case);
- a document version's reason and its circulations' reasons: the version's key, erased with
  the version (its content is its journal entry, under ``journal:<seq>``);
- a browser session's e-mail address: the session's key, deleted with the session;
- an erasure request's reason: the request's key (kept: it records the decision).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, literal, or_, select

from ksp.db import data_key_store as owners
from ksp.db.tables import (
    action_statuses,
    actions,
    case_revisions,
    case_triages,
    cases,
    circulations,
    document_versions,
    erasure_requests,
    exchange_records,
    exchanges,
    inquiries,
    inquiry_decisions,
    outcomes,
    web_sessions,
)

__all__ = ["LEGACY_FORMAT", "SEALED_FIELDS", "SealedFields", "legacy"]

LEGACY_FORMAT = b"\x01"
"""The first byte of a blob sealed directly under ``KSP_DATA_KEYS`` (``ksp.crypto``)."""

Row = Any  # a row's mapping, with the columns of :attr:`SealedFields.source`


def legacy(column: Any) -> ColumnElement[bool]:
    """Whether a ``*_ct`` column holds a format-1 blob (NULL and blank ones do not)."""
    return func.substr(column, 1, 1) == literal(LEGACY_FORMAT)


@dataclass(frozen=True)
class SealedFields:
    """One table's sealed columns: ``contexts`` maps a column to the context of a row's
    blob in it, ``owner`` gives the row's data-key owner."""

    noun: str  # what ``ksp keys migrate`` and ``ksp keys check`` call the rows
    table: Table
    contexts: dict[str, Callable[[Row], str]]
    owner: Callable[[Row], str]
    outcome_of_action: bool = False  # the owner is the action's outcome (a join)

    def rows(self) -> Select[Any]:
        """Every row, with what its owner needs, in primary-key order."""
        query = select(self.table)
        if self.outcome_of_action:
            query = query.add_columns(actions.c.outcome_id.label("outcome_id")).join(
                actions, actions.c.id == self.table.c.action_id
            )
        return query.order_by(*self.table.primary_key.columns)

    def source(self) -> Select[Any]:
        """The rows with a blob still under ``KSP_DATA_KEYS``, in primary-key order."""
        return self.rows().where(or_(*(legacy(self.table.c[c]) for c in self.contexts)))

    def key(self, row: Row) -> tuple[Any, ...]:
        return tuple(row[c.name] for c in self.table.primary_key.columns)


def _case_revision(suffix: str) -> Callable[[Row], str]:
    return lambda r: f"case_revisions:{r['case_id']}/{r['revision']}:{suffix}"


SEALED_FIELDS = (
    SealedFields(
        "cases",
        cases,
        {
            "name_ct": lambda r: f"cases.name:{r['id']}",
            "cpr_ct": lambda r: f"cases.cpr:{r['id']}",
            "concern_ct": lambda r: f"cases.concern:{r['id']}",
            "triage_reason_ct": lambda r: f"cases.triage:{r['id']}",
        },
        lambda r: owners.case_owner(r["id"]),
    ),
    SealedFields(
        "case revisions",
        case_revisions,
        {"reason_ct": _case_revision("reason"), "before_ct": _case_revision("before")},
        lambda r: owners.case_owner(r["case_id"]),
    ),
    SealedFields(
        "case triages",
        case_triages,
        {"reason_ct": lambda r: f"case_triages:{r['case_id']}/{r['number']}"},
        lambda r: owners.case_owner(r["case_id"]),
    ),
    SealedFields(
        "exchanges",
        exchanges,
        {"summary_ct": lambda r: f"exchanges.summary:{r['id']}"},
        lambda r: owners.exchange_owner(r["id"]),
    ),
    SealedFields(
        "exchange records",
        exchange_records,
        {"content_ct": lambda r: f"exchange_records:{r['exchange_id']}/{r['kind']}/{r['number']}"},
        lambda r: owners.exchange_owner(r["exchange_id"]),
    ),
    SealedFields(
        "outcomes",
        outcomes,
        {"summary_ct": lambda r: f"outcomes.summary:{r['id']}"},
        lambda r: owners.outcome_owner(r["id"]),
    ),
    SealedFields(
        "actions",
        actions,
        {"description_ct": lambda r: f"actions.description:{r['id']}"},
        lambda r: owners.outcome_owner(r["outcome_id"]),
    ),
    SealedFields(
        "action statuses",
        action_statuses,
        {"note_ct": lambda r: f"action_statuses.note:{r['action_id']}/{r['number']}"},
        lambda r: owners.outcome_owner(r["outcome_id"]),
        outcome_of_action=True,
    ),
    SealedFields(
        "inquiries",
        inquiries,
        {"cpr_ct": lambda r: f"inquiries.cpr:{r['id']}"},
        lambda r: owners.inquiry_owner(r["id"]),
    ),
    SealedFields(
        "inquiry decisions",
        inquiry_decisions,
        {
            "justification_ct": lambda r: (
                f"inquiry_decisions.justification:{r['inquiry_id']}/{r['number']}"
            )
        },
        lambda r: owners.inquiry_owner(r["inquiry_id"]),
    ),
    SealedFields(
        "version reasons",
        document_versions,
        {"reason_ct": lambda r: f"document_versions.reason:{r['document_id']}/{r['version']}"},
        lambda r: owners.version_owner(r["document_id"], r["version"]),
    ),
    SealedFields(
        "circulation reasons",
        circulations,
        {"again_reason_ct": lambda r: f"circulations.again_reason:{r['id']}"},
        lambda r: owners.version_owner(r["document_id"], r["version"]),
    ),
    SealedFields(
        "sessions",
        web_sessions,
        {"email_ct": lambda r: f"web_sessions.email:{bytes(r['key']).hex()}"},
        lambda r: owners.session_owner(bytes(r["key"])),
    ),
    SealedFields(
        "erasure requests",
        erasure_requests,
        {"reason_ct": lambda r: f"erasure_requests.reason:{r['id']}"},
        lambda r: owners.request_owner(r["id"]),
    ),
)
