"""Authorization server metadata (RFC 8414) and OpenID Provider metadata
(OIDC Discovery 1.0): one document, listing only what works."""

from __future__ import annotations

from typing import Any

from apps.oauth.claims import CLAIMS_SUPPORTED
from apps.oauth.client_assertion import ASSERTION_ALGORITHMS
from apps.oauth.clients import (
    AUTH_BASIC,
    AUTH_NONE,
    AUTH_POST,
    AUTH_PRIVATE_KEY_JWT,
    GRANT_DEVICE_CODE,
    GRANT_TOKEN_EXCHANGE,
)
from apps.oauth.dcr import MODE_OFF, dcr_mode
from apps.oauth.dpop import ALGORITHMS as DPOP_ALGORITHMS
from apps.oauth.issuer import ENDPOINTS, endpoint_url, issuer
from apps.oauth.jose import signing_algorithm
from apps.oauth.par import par_required
from apps.oauth.scopes import oidc_scopes

GRANT_TYPES = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    GRANT_TOKEN_EXCHANGE,
    GRANT_DEVICE_CODE,
    "organization_switch",
)


def server_metadata(organization: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"issuer": issuer(organization)}
    document.update({field: endpoint_url(organization, path) for field, path in ENDPOINTS.items()})
    document.update(
        {
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": list(GRANT_TYPES),
            "code_challenge_methods_supported": ["S256"],
            "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),
            "token_endpoint_auth_methods_supported": [AUTH_BASIC, AUTH_POST, AUTH_PRIVATE_KEY_JWT, AUTH_NONE],
            "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
            "introspection_endpoint_auth_methods_supported": [AUTH_BASIC, AUTH_POST, AUTH_PRIVATE_KEY_JWT],
            "introspection_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
            "revocation_endpoint_auth_methods_supported": [AUTH_BASIC, AUTH_POST, AUTH_PRIVATE_KEY_JWT, AUTH_NONE],
            "revocation_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
            "scopes_supported": sorted(oidc_scopes(organization)),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [signing_algorithm(organization=organization)],
            "claims_supported": list(CLAIMS_SUPPORTED),
            "prompt_values_supported": ["none", "login", "consent", "select_account"],
            "claims_parameter_supported": False,
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
            "require_pushed_authorization_requests": par_required(),
            # OIDC Back-Channel Logout 1.0 §2.1: logout tokens carry ``sid``, the ID tokens' ``sid``.
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
        }
    )
    if dcr_mode() != MODE_OFF:
        document["registration_endpoint"] = endpoint_url(organization, "register")
    return document
