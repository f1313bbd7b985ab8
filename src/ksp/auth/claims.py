"""From the provider's claims to our ``role`` and ``unit``: a role claim and a unit claim,
or a mapping file from group values to role and unit.

The mapping file (``KSP_OIDC_MAPPING_FILE``) is JSON::

    {"claim": "groups",
     "groups": {"<group value>": {"role": "arrest", "unit": "arrest-koebenhavn"}, ...}}

A sign-in whose claims name no role (or two different ones) maps to nothing and is refused.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksp.domain.access import Principal, Role
from ksp.domain.errors import NotAuthenticated
from ksp.tokens import principal_from_claims

__all__ = ["ClaimMapping", "MappingFileError", "Unmapped"]


class Unmapped(Exception):
    """The claims name no role of ours (or several), or an unusable unit."""


class MappingFileError(ValueError):
    """KSP_OIDC_MAPPING_FILE is not the JSON described above."""


@dataclass(frozen=True)
class ClaimMapping:
    role_claim: str = "role"
    unit_claim: str = "unit"
    groups_claim: str | None = None
    groups: Mapping[str, tuple[str, str]] | None = None

    @classmethod
    def from_file(cls, path: str) -> ClaimMapping:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            groups = {
                str(value): (Role(entry["role"]).value, str(entry["unit"]))
                for value, entry in raw["groups"].items()
            }
            claim = raw["claim"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise MappingFileError(
                "KSP_OIDC_MAPPING_FILE must be JSON: {claim, groups: {value: {role, unit}}}"
            ) from None
        if not isinstance(claim, str) or not groups:
            raise MappingFileError("KSP_OIDC_MAPPING_FILE needs a claim name and some groups")
        return cls(groups_claim=claim, groups=groups)

    def _from_groups(self, claims: Mapping[str, Any]) -> tuple[Any, Any]:
        assert self.groups_claim is not None
        assert self.groups is not None
        values = claims.get(self.groups_claim)
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list):
            return None, None
        matches = {self.groups[v] for v in values if isinstance(v, str) and v in self.groups}
        if len(matches) != 1:
            return None, None
        return next(iter(matches))

    def our_claims(self, claims: Mapping[str, Any]) -> dict[str, Any]:
        """The provider's claims renamed to ours (``sub``, ``role``, ``unit``, ``email``)."""
        if self.groups is not None:
            role, unit = self._from_groups(claims)
        else:
            role, unit = claims.get(self.role_claim), claims.get(self.unit_claim)
        if isinstance(role, list) and len(role) == 1:  # Entra ID's app roles come as a list
            role = role[0]
        return {"sub": claims.get("sub"), "role": role, "unit": unit, "email": claims.get("email")}

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        try:
            return principal_from_claims(self.our_claims(claims))
        except NotAuthenticated:
            raise Unmapped from None
