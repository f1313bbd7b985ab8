"""``/api/v1/reference``: the units the service knows (any role)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from ksp.api.auth import action, authorised
from ksp.api.case_schemas import UnitOut, UnitsOut
from ksp.api.docs import problems
from ksp.domain.access import Action
from ksp.domain.reference import UnitTable

__all__ = ["ReferenceController"]


class ReferenceController(Controller):
    path = "/reference"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["reference"]  # noqa: RUF012

    @get(
        "/units",
        opt=action(Action.READ_REFERENCE),
        responses=problems(),
        summary="The units: jails, KiF departments, municipalities, police districts, audit",
    )
    async def units(self, units: NamedDependency[UnitTable]) -> UnitsOut:
        """The dated reference table (``KSP_UNITS_FILE`` or the one shipped), with its source."""
        return UnitsOut(
            valid_from=units.valid_from,
            source=units.source,
            units=[UnitOut(unit=u.unit, kind=u.kind, name=u.name) for u in units.units],
        )
