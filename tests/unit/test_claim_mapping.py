"""Claim mapping (CONTRACT.md, "Signing in"): a role claim and a unit claim, or groups by
a mapping file; a sign-in that maps to no role is refused; API bearer tokens from the
provider pass through the same mapping."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ksp.auth.claims import ClaimMapping, MappingFileError, Unmapped
from ksp.domain.access import Role
from ksp.domain.errors import NotAuthenticated
from ksp.tokens import TokenVerifier, issue_token

MAPPING = {
    "claim": "groups",
    "groups": {
        "g-arrest": {"role": "arrest", "unit": "arrest-koebenhavn"},
        "g-arrest-2": {"role": "arrest", "unit": "arrest-koebenhavn"},
        "g-kif": {"role": "kif", "unit": "kif-hovedstaden"},
    },
}


@pytest.fixture
def groups(tmp_path: Path) -> ClaimMapping:
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(MAPPING))
    return ClaimMapping.from_file(str(path))


def test_a_role_and_a_unit_claim_map_to_a_principal() -> None:
    """KSP_OIDC_ROLE_CLAIM and KSP_OIDC_UNIT_CLAIM; Entra ID's one-element role list too."""
    mapping = ClaimMapping(role_claim="ksp_role", unit_claim="ksp_unit")
    principal = mapping.principal({"sub": "s1", "ksp_role": "kif", "ksp_unit": "kif-fyn"})
    assert (principal.sub, principal.role, principal.unit) == ("s1", Role.KIF, "kif-fyn")
    entra = ClaimMapping(role_claim="roles", unit_claim="ksp_unit")
    assert entra.principal({"sub": "s", "roles": ["arrest"], "ksp_unit": "a-1"}).role == Role.ARREST


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "s", "ksp_unit": "kif-fyn"},
        {"sub": "s", "ksp_role": "admin", "ksp_unit": "kif-fyn"},
        {"sub": "s", "ksp_role": ["kif", "arrest"], "ksp_unit": "kif-fyn"},
        {"sub": "s", "ksp_role": "kif", "ksp_unit": "Kif Fyn"},
        {"sub": "s", "ksp_role": "participant", "ksp_unit": "kommune-101"},
        {"ksp_role": "kif", "ksp_unit": "kif-fyn"},
    ],
)
def test_claims_without_exactly_one_usable_role_map_to_nothing(claims: dict[str, Any]) -> None:
    """No role, an unknown one, two, a malformed unit, a participant without e-mail, no sub."""
    with pytest.raises(Unmapped):
        ClaimMapping(role_claim="ksp_role", unit_claim="ksp_unit").principal(claims)


def test_groups_map_by_the_mapping_file(groups: ClaimMapping) -> None:
    """One group (or several meaning the same) gives role and unit; others are ignored."""
    principal = groups.principal({"sub": "s", "groups": ["g-unrelated", "g-kif"]})
    assert (principal.role, principal.unit) == (Role.KIF, "kif-hovedstaden")
    both = groups.principal({"sub": "s", "groups": ["g-arrest", "g-arrest-2"]})
    assert both.role == Role.ARREST


@pytest.mark.parametrize("values", [["g-arrest", "g-kif"], ["g-none"], [], "g-none", None])
def test_groups_that_name_no_role_or_two_roles_map_to_nothing(
    groups: ClaimMapping, values: object
) -> None:
    """Ambiguity is refused, not guessed."""
    with pytest.raises(Unmapped):
        groups.principal({"sub": "s", "groups": values})


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"claim": "groups"}', '{"claim": "g", "groups": {"x": {"role": "root"}}}'],
)
def test_a_malformed_mapping_file_is_refused(tmp_path: Path, content: str) -> None:
    """The file is checked when the app is built, before anyone signs in."""
    path = tmp_path / "mapping.json"
    path.write_text(content)
    with pytest.raises(MappingFileError):
        ClaimMapping.from_file(str(path))


def test_a_providers_api_token_passes_through_the_same_mapping(tmp_path: Path) -> None:
    """A JWKS-verified bearer token's provider claims are mapped like a sign-in's; our own
    HS256 tokens keep our claim names."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256"}
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [jwk]}))
    mapping = ClaimMapping(role_claim="ksp_role", unit_claim="ksp_unit")
    verifier = TokenVerifier(
        b"s" * 32, jwks=str(tmp_path / "jwks.json"), claims_of=mapping.our_claims
    )
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims = {"sub": "u", "ksp_role": "kif", "ksp_unit": "kif-fyn", "iat": now, "exp": now + 600}
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    assert verifier.verify(token).role == Role.KIF
    unmapped = jwt.encode({**claims, "role": "kif", "ksp_role": None}, key, "RS256", {"kid": "k1"})
    with pytest.raises(NotAuthenticated):
        verifier.verify(unmapped)
    plain = TokenVerifier(b"s" * 32, claims_of=mapping.our_claims)
    own = issue_token(
        b"s" * 32, sub="u", role=Role.KIF, unit="kif-fyn", now=dt.datetime.now(dt.UTC)
    )
    assert plain.verify(own).unit == "kif-fyn"


def test_a_token_whose_role_is_a_list_is_refused_not_a_crash() -> None:
    """A provider's `role` claim as a list of two was a TypeError (500); it is 401."""
    token = jwt.encode(
        {"sub": "u", "role": ["kif", "arrest"], "unit": "kif-fyn", "exp": 4_000_000_000},
        b"s" * 32,
        algorithm="HS256",
    )
    with pytest.raises(NotAuthenticated):
        TokenVerifier(b"s" * 32).verify(token)
