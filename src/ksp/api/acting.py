"""``/api/v1/acting-municipality``: guide 3.2.1 applied to the facts given (no data kept)."""

from __future__ import annotations

import dataclasses

from litestar import post
from litestar.params import JSONBody

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.schemas.acting import ActingMunicipalityIn, ActingMunicipalityOut, RuleOut
from ksp.api.strict_body import StrictJSON
from ksp.domain.access import Action
from ksp.domain.acting_municipality import Facts, acting_municipality
from ksp.domain.reference import municipalities

__all__ = ["decide_acting_municipality"]


def _name(code: int) -> str:
    """The municipality's name; the rule only names municipalities of the table."""
    return municipalities()[code].name


@post(
    "/acting-municipality",
    opt=action(Action.ACTING_MUNICIPALITY),
    guards=[authorised],
    responses=problems(422),
    summary="Which municipality acts (guide 3.2.1)",
    status_code=200,
    tags=["decisions"],
    dto=StrictJSON[ActingMunicipalityIn],
    return_dto=None,
)
async def decide_acting_municipality(
    data: JSONBody[ActingMunicipalityIn],
) -> ActingMunicipalityOut:
    result = acting_municipality(
        Facts(**{f.name: getattr(data, f.name) for f in dataclasses.fields(Facts)})
    )
    return ActingMunicipalityOut(
        social_services_municipality_code=result.social_services_municipality_code,
        social_services_municipality_name=_name(result.social_services_municipality_code),
        other_help_municipality_code=result.other_help_municipality_code,
        other_help_municipality_name=_name(result.other_help_municipality_code),
        rule=RuleOut(
            social_services=result.social_services_rule, other_help=result.other_help_rule
        ),
    )
