"""The issuer identifier and endpoint URLs of a tenant.

WSO2's shape: the issuer is the token endpoint, ``{base}/t/<handle>/oauth2/token``;
the default root organization's is ``{base}/oauth2/token`` whichever URL the
request used, so every token of a tenant carries one ``iss``."""

from __future__ import annotations

from typing import Any

from django.conf import settings

ENDPOINTS = {
    "authorization_endpoint": "authorize",
    "token_endpoint": "token",
    "introspection_endpoint": "introspect",
    "revocation_endpoint": "revoke",
    "userinfo_endpoint": "userinfo",
    "jwks_uri": "jwks",
    "end_session_endpoint": "logout",
    "device_authorization_endpoint": "device_authorize",
    "pushed_authorization_request_endpoint": "par",
}


def tenant_prefix(organization: Any) -> str:
    if organization.is_root and organization.handle == settings.IAM_DEFAULT_ROOT_HANDLE:
        return ""
    return organization.url_prefix


def endpoint_url(organization: Any, name: str) -> str:
    return f"{settings.IAM_BASE_URL}{tenant_prefix(organization)}/oauth2/{name}"


def issuer(organization: Any) -> str:
    return endpoint_url(organization, "token")
