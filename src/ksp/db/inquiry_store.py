"""The store for inquiries and KiF's decisions on them. CPR numbers and justifications are
sealed under the inquiry's own data key (``inquiry:<id>``), which its retention or its
person's erasure destroys; a keyed hash of the CPR finds the cases and inquiries about one
person."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ksp.crypto import KeyedHasher
from ksp.db.data_key_store import SqlDataKeyStore, inquiry_owner
from ksp.db.tables import cases, inquiries, inquiry_decisions
from ksp.domain.access import Principal, Role
from ksp.domain.circulation import Agency
from ksp.domain.cpr import Cpr
from ksp.domain.inquiries import Decision, Detention, Inquiry
from ksp.domain.time_window import Suggestion, WindowSuggestion
from ksp.services.ports import Page

__all__ = ["SqlInquiryStore"]


class SqlInquiryStore:
    def __init__(self, session: AsyncSession, keys: SqlDataKeyStore, hasher: KeyedHasher) -> None:
        self._session = session
        self._keys = keys
        self._hasher = hasher

    async def add(self, inquiry: Inquiry) -> None:
        window = inquiry.window
        await self._session.execute(
            insert(inquiries).values(
                id=inquiry.id,
                kif_unit=inquiry.kif_unit,
                cpr_ct=await self._keys.encrypt_new(
                    inquiry_owner(inquiry.id),
                    inquiry.cpr.digits,
                    context=f"inquiries.cpr:{inquiry.id}",
                ),
                cpr_hash=self._hasher.cpr(inquiry.cpr.digits),
                from_agency=inquiry.from_agency.value,
                received_on=inquiry.received_on,
                detained_since=inquiry.detained_since,
                released_on=inquiry.released_on,
                suggestion=None if window.suggestion is None else window.suggestion.value,
                window_days=window.window_days,
                policy=window.policy,
                created_at=inquiry.created_at,
                created_by_sub=inquiry.created_by_sub,
                created_by_unit=inquiry.created_by_unit,
            )
        )

    async def get(self, inquiry_id: str) -> Inquiry | None:
        row = (
            await self._session.execute(
                select(inquiries).where(
                    inquiries.c.id == inquiry_id, inquiries.c.erased_at.is_(None)
                )
            )
        ).first()
        if row is None:
            return None
        await self._keys.load([row.cpr_ct])
        return self._inquiry(row._mapping)

    async def visible_to(self, principal: Principal, page: Page) -> list[Inquiry]:
        """KiF: inquiries it handles. Jails: inquiries about people in cases they submitted
        (guide 3.3.7: internal sharing). Participants: their own unit's inquiries."""
        query = (
            select(inquiries)
            .where(inquiries.c.erased_at.is_(None))
            .order_by(inquiries.c.created_at, inquiries.c.id)
        )
        if principal.role is Role.KIF:
            held = select(cases.c.cpr_hash).where(cases.c.kif_unit == principal.unit)
            query = query.where(
                or_(inquiries.c.kif_unit == principal.unit, inquiries.c.cpr_hash.in_(held))
            )
        elif principal.role is Role.ARREST:
            held = select(cases.c.cpr_hash).where(cases.c.submitted_by_unit == principal.unit)
            query = query.where(inquiries.c.cpr_hash.in_(held))
        else:
            query = query.where(inquiries.c.created_by_unit == principal.unit)
        rows = list(await self._session.execute(query.limit(page.limit).offset(page.offset)))
        await self._keys.load(r.cpr_ct for r in rows)
        return [self._inquiry(row._mapping) for row in rows]

    async def detention_of(
        self, cpr: Cpr, *, kif_unit: str | None = None, meeting_ids: Collection[str] = ()
    ) -> Detention | None:
        """The detention on the person's latest case among those routed to ``kif_unit`` or
        on the meetings ``meeting_ids``; never a case outside them (no oracle for "is this
        person in KSP anywhere")."""
        if kif_unit is None and not meeting_ids:
            return None
        within = (
            cases.c.kif_unit == kif_unit
            if kif_unit is not None
            else cases.c.meeting_id.in_(list(meeting_ids))
        )
        query = (
            select(cases.c.id, cases.c.detained_since, cases.c.released_on)
            .where(cases.c.cpr_hash == self._hasher.cpr(cpr.digits), within)
            .order_by(cases.c.submitted_at.desc(), cases.c.id)
            .limit(1)
        )
        row = (await self._session.execute(query)).first()
        return None if row is None else Detention(row.id, row.detained_since, row.released_on)

    async def decisions(self, inquiry_ids: Collection[str]) -> dict[str, list[Decision]]:
        """The decisions on each of ``inquiry_ids``, in order: one query for them all."""
        found: dict[str, list[Decision]] = {i: [] for i in inquiry_ids}
        if not found:
            return found
        query = (
            select(inquiry_decisions)
            .where(inquiry_decisions.c.inquiry_id.in_(list(found)))
            .order_by(inquiry_decisions.c.inquiry_id, inquiry_decisions.c.number)
        )
        rows = list(await self._session.execute(query))
        await self._keys.load(r.justification_ct for r in rows)
        for row in rows:
            found[row.inquiry_id].append(self._decision(row._mapping))
        return found

    def _decision(self, row: Any) -> Decision:
        blob = row["justification_ct"]
        context = f"inquiry_decisions.justification:{row['inquiry_id']}/{row['number']}"
        return Decision(
            inquiry_id=row["inquiry_id"],
            number=row["number"],
            eligible=row["eligible"],
            justification=None if blob is None else self._keys.read(blob, context=context),
            decided_at=row["decided_at"],
            decided_by_sub=row["decided_by_sub"],
            journal_seq=row["journal_seq"],
        )

    async def next_number(self, inquiry_id: str) -> int:
        query = select(func.max(inquiry_decisions.c.number)).where(
            inquiry_decisions.c.inquiry_id == inquiry_id
        )
        return int((await self._session.execute(query)).scalar() or 0) + 1

    async def add_decision(self, decision: Decision) -> None:
        text = decision.justification
        context = f"inquiry_decisions.justification:{decision.inquiry_id}/{decision.number}"
        await self._session.execute(
            insert(inquiry_decisions).values(
                inquiry_id=decision.inquiry_id,
                number=decision.number,
                journal_seq=decision.journal_seq,
                eligible=decision.eligible,
                justification_ct=None
                if text is None
                else await self._keys.encrypt_for(
                    inquiry_owner(decision.inquiry_id), text, context=context
                ),
                decided_at=decision.decided_at,
                decided_by_sub=decision.decided_by_sub,
            )
        )

    def _inquiry(self, row: Any) -> Inquiry:
        inquiry_id = row["id"]
        suggestion = row["suggestion"]
        return Inquiry(
            id=inquiry_id,
            kif_unit=row["kif_unit"],
            cpr=Cpr(self._keys.read(row["cpr_ct"], context=f"inquiries.cpr:{inquiry_id}")),
            from_agency=Agency(row["from_agency"]),
            received_on=row["received_on"],
            detained_since=row["detained_since"],
            released_on=row["released_on"],
            window=WindowSuggestion(
                None if suggestion is None else Suggestion(suggestion),
                row["window_days"],
                row["policy"],
            ),
            created_at=row["created_at"],
            created_by_sub=row["created_by_sub"],
            created_by_unit=row["created_by_unit"],
        )
