"""User claims released by OIDC scopes (OIDC Core §5.4), for ID tokens and userinfo.

Which claims a scope releases is configured per tenant (``apps.attributes``:
OIDC scopes and the OIDC dialect); the values come from the user's local
claims. Shapes follow OIDC Core §5.1: ``email_verified`` and
``phone_number_verified`` are booleans, ``updated_at`` is seconds since the
epoch, and the address members form one ``address`` object. ``sub`` is always
the user id and is set by the caller."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from apps.attributes.defaults import OIDC_ADDRESS_MEMBERS
from apps.attributes.defaults import OIDC_SCOPES as DEFAULT_OIDC_SCOPES
from apps.attributes.selectors import oidc_claims_for_scopes, user_claim_values

BOOLEAN_CLAIMS = frozenset({"email_verified", "phone_number_verified"})
# A verification flag only means something next to the value it verifies.
VERIFIES = {"email_verified": "email", "phone_number_verified": "phone_number"}


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _epoch(value: Any) -> int | None:
    try:
        return int(datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp())
    except ValueError:
        return None


def user_claims(user: Any, scopes: Iterable[str]) -> dict[str, Any]:
    released = oidc_claims_for_scopes(user.organization, scopes)
    if not released:
        return {}
    values = user_claim_values(user)
    claims: dict[str, Any] = {}
    address: dict[str, Any] = {}
    for name, local_uri in released:
        if name == "sub":
            continue
        value = values.get(local_uri)
        if name in BOOLEAN_CLAIMS:
            claims[name] = _truthy(value)
        elif value is None:
            continue
        elif name in OIDC_ADDRESS_MEMBERS:
            address[name] = value
        elif name == "updated_at":
            epoch = _epoch(value)
            if epoch is not None:
                claims[name] = epoch
        else:
            claims[name] = value
    for flag, subject in VERIFIES.items():
        if flag in claims and subject not in claims:
            del claims[flag]
    if address:
        claims["address"] = address
    return claims


# What the default OIDC scopes can release (apps.attributes.defaults: one list), and the claims every
# ID token carries. Address sub-claims are released inside ``address``.
_PROTOCOL_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "amr")
CLAIMS_SUPPORTED = tuple(
    dict.fromkeys(
        (
            *_PROTOCOL_CLAIMS,
            *(
                "address" if claim in OIDC_ADDRESS_MEMBERS else claim
                for _label, _description, claims in DEFAULT_OIDC_SCOPES.values()
                for claim in claims
            ),
            "org_id",
            "org_handle",
            "org_name",
        )
    )
)
