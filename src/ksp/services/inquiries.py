"""Use cases for inquiries about released people and KiF's decisions (guide 3.3.7)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from ksp.domain.access import Principal, Role
from ksp.domain.circulation import Agency
from ksp.domain.cpr import Cpr, InvalidCpr, parse_cpr
from ksp.domain.errors import FieldError, InvalidInput, NotFound
from ksp.domain.inquiries import Decision, Detention, Inquiry, check_decision
from ksp.domain.time_window import DEFAULT_POLICY, WindowPolicy, suggest
from ksp.journal.canonical import canonical
from ksp.services.ports import Clock, Page, UnitOfWork, UnitOfWorkFactory

__all__ = ["INQUIRY_DECISION", "InquiryDraft", "InquiryService"]

INQUIRY_DECISION = "inquiry-decision"  # the journal entry kind of a decision


@dataclass(frozen=True, slots=True)
class InquiryDraft:
    cpr: str
    from_agency: Agency
    received_on: dt.date
    detained_since: dt.date | None
    released_on: dt.date | None
    kif_unit: str | None


async def _known_detention(uow: UnitOfWork, principal: Principal, cpr: Cpr) -> Detention | None:
    """KF's dates of the person, only from cases the caller may see: KiF, those routed to
    its unit; a participant, those of the meetings it takes part in."""
    if principal.role is Role.KIF:
        return await uow.inquiries.detention_of(cpr, kif_unit=principal.unit)
    if principal.role is Role.PARTICIPANT and principal.email is not None:
        meetings = await uow.recipients.meetings_of(principal.email, principal.unit)
        return await uow.inquiries.detention_of(cpr, meeting_ids=meetings)
    return None


class InquiryService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        policy: WindowPolicy = DEFAULT_POLICY,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._policy = policy
        self._new_id = new_id

    def _kif_unit(self, principal: Principal, draft: InquiryDraft) -> str:
        if principal.role is Role.KIF:
            if draft.kif_unit not in (None, principal.unit):
                raise InvalidInput([FieldError("kif_unit", "must be your own unit")])
            return principal.unit
        if draft.kif_unit is None or not draft.kif_unit.startswith("kif-"):
            raise InvalidInput([FieldError("kif_unit", "names the KiF unit to ask")])
        return draft.kif_unit

    async def record(self, principal: Principal, draft: InquiryDraft) -> Inquiry:
        """A municipality or the police asks about a released person (or KiF records such a
        request received by phone or mail); the service suggests inside or outside, from
        the dates given or else from KF's cases that the caller may see. A case that gave
        the dates is a read of the person's data, and logged."""
        now = self._clock.now()
        try:
            cpr = parse_cpr(draft.cpr, today=now.date())
        except InvalidCpr as exc:
            raise InvalidInput([FieldError("cpr", str(exc))]) from None
        if draft.received_on > now.date():
            raise InvalidInput([FieldError("received_on", "must not be in the future")])
        kif_unit = self._kif_unit(principal, draft)
        async with self._uow() as uow:
            detained, released = draft.detained_since, draft.released_on
            known = None
            if detained is None and released is None:
                known = await _known_detention(uow, principal, cpr)
            if known is not None:
                detained, released = known.detained_since, known.released_on
            window = suggest(
                self._policy,
                detained_since=detained,
                released_on=released,
                received_on=draft.received_on,
            )
            inquiry = Inquiry(
                self._new_id(),
                kif_unit,
                cpr,
                draft.from_agency,
                draft.received_on,
                detained,
                released,
                window,
                now,
                principal.sub,
                principal.unit,
            )
            await uow.inquiries.add(inquiry)
            if known is not None:
                await uow.access_log.record(
                    principal, resource="inquiry", resource_id=inquiry.id, subjects=[cpr], at=now
                )
            await uow.commit()
        return inquiry

    async def visible(
        self, principal: Principal, page: Page
    ) -> list[tuple[Inquiry, list[Decision]]]:
        """One page of the inquiries the caller may see, with their decisions: a fixed
        number of queries whatever the page's size. The read is logged."""
        async with self._uow() as uow:
            found = await uow.inquiries.visible_to(principal, page)
            decisions = await uow.inquiries.decisions([i.id for i in found])
            await uow.access_log.record(
                principal,
                resource="inquiries",
                resource_id=None,
                subjects=[i.cpr for i in found],
                at=self._clock.now(),
            )
            await uow.commit()
        return [(i, decisions[i.id]) for i in found]

    async def decide(
        self, principal: Principal, inquiry_id: str, eligible: bool, justification: str | None
    ) -> Decision:
        """Guide 3.3.7: KiF's decision, journalised; a later decision corrects an earlier."""
        async with self._uow() as uow:
            await uow.journal.lock()
            inquiry = await uow.inquiries.get(inquiry_id)
            if (
                inquiry is None
                or principal.role is not Role.KIF
                or (inquiry.kif_unit != principal.unit)
            ):
                raise NotFound
            check_decision(inquiry, eligible, justification)
            number, now = await uow.inquiries.next_number(inquiry_id), self._clock.now()
            text = (justification or "").strip() or None
            body = {
                "format": "ksp-inquiry-decision/1",
                "inquiry_id": inquiry_id,
                "number": number,
                "corrects": number - 1 if number > 1 else None,
                "eligible": eligible,
                "justification": text,
                "suggestion": None
                if inquiry.window.suggestion is None
                else inquiry.window.suggestion.value,
                "window_days": inquiry.window.window_days,
                "policy": inquiry.window.policy,
                "decided_by": principal.sub,
                "decided_at": now.isoformat(),
            }
            appended = await uow.journal.append(
                kind=INQUIRY_DECISION,
                ref=f"inquiry/{inquiry_id}/{number}",
                author=principal.sub,
                created_at=now,
                plaintext=canonical(body),
            )
            decision = Decision(
                inquiry_id, number, eligible, text, now, principal.sub, appended.seq
            )
            await uow.inquiries.add_decision(decision)
            await uow.commit()
        return decision
