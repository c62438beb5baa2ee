"""User claims released by OIDC scopes (OIDC Core §5.4), for ID tokens and userinfo.

A basic fixed mapping for now; the attributes issue makes it configurable."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def user_claims(user: Any, scopes: Iterable[str]) -> dict[str, Any]:
    scopes = set(scopes)
    attributes = user.attributes if isinstance(user.attributes, dict) else {}
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        claims["name"] = user.display_name
        claims["preferred_username"] = user.username
        if user.given_name:
            claims["given_name"] = user.given_name
        if user.family_name:
            claims["family_name"] = user.family_name
        claims["updated_at"] = int(user.last_modified.timestamp())
    if "email" in scopes and user.email:
        claims["email"] = user.email
        claims["email_verified"] = _truthy(attributes.get("emailVerified"))
    if "phone" in scopes and user.phone:
        claims["phone_number"] = user.phone
        claims["phone_number_verified"] = _truthy(attributes.get("phoneVerified"))
    if "address" in scopes and isinstance(attributes.get("address"), str) and attributes["address"]:
        claims["address"] = {"formatted": attributes["address"]}
    return claims


CLAIMS_SUPPORTED = (
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "azp",
    "name",
    "given_name",
    "family_name",
    "preferred_username",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
    "org_id",
    "org_handle",
    "org_name",
)
