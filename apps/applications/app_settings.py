"""The settings of an application, by name: one vocabulary for templates, the
services, the management API mapping and the Console forms.

A setting's value has a fixed Python type (``SETTING_KINDS``); lists of URIs are
kept space-separated in django-oauth-toolkit's text columns and exchanged here
as lists."""

from __future__ import annotations

from typing import Any

from apps.applications.models import Application

GRANT_AUTHORIZATION_CODE = "authorization_code"
GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
GRANT_ORGANIZATION_SWITCH = "organization_switch"  # WSO2: usable once the application is shared

# In the order the Console lists them.
GRANT_TYPES: tuple[str, ...] = (
    GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_TOKEN_EXCHANGE,
    GRANT_DEVICE_CODE,
    GRANT_ORGANIZATION_SWITCH,
)
# Grants with a user (subject) behind them: only these may come with refresh tokens.
USER_GRANTS = frozenset({GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, GRANT_TOKEN_EXCHANGE})

# django-oauth-toolkit wants one grant type per application; we keep several
# in ``grant_types`` and store a representative one to satisfy its column.
DOT_GRANT = {
    GRANT_AUTHORIZATION_CODE: Application.GRANT_AUTHORIZATION_CODE,
    GRANT_DEVICE_CODE: Application.GRANT_DEVICE_CODE,
    GRANT_CLIENT_CREDENTIALS: Application.GRANT_CLIENT_CREDENTIALS,
}

CLIENT_PUBLIC = Application.CLIENT_PUBLIC
CLIENT_CONFIDENTIAL = Application.CLIENT_CONFIDENTIAL

SETTING_KINDS: dict[str, str] = {
    # general
    "description": "text",
    "logo_url": "url",
    "access_url": "url",
    "discoverable": "bool",
    "skip_authorization": "bool",
    # protocol (OIDC)
    "client_type": "choice",
    "grant_types": "list",
    "redirect_uris": "list",
    "post_logout_redirect_uris": "list",
    "allowed_origins": "list",
    "pkce_mandatory": "bool",
    "token_binding": "choice",
    "access_token_format": "choice",
    "access_token_lifetime": "int",
    "refresh_token_lifetime": "int",
    "id_token_lifetime": "int",
    "refresh_rotation": "bool",
    "token_endpoint_auth_method": "choice",
    "jwks": "dict",
}
SETTINGS: tuple[str, ...] = tuple(SETTING_KINDS)
GENERAL_SETTINGS: tuple[str, ...] = ("description", "logo_url", "access_url", "discoverable", "skip_authorization")
PROTOCOL_SETTINGS: tuple[str, ...] = tuple(name for name in SETTINGS if name not in GENERAL_SETTINGS)
# Fixed once the application exists, whatever its template says.
IMMUTABLE_SETTINGS = frozenset({"client_type"})

CHOICES: dict[str, tuple[str, ...]] = {
    "client_type": (CLIENT_PUBLIC, CLIENT_CONFIDENTIAL),
    "token_binding": tuple(Application.TokenBinding.values),
    "access_token_format": tuple(Application.TokenFormat.values),
    "token_endpoint_auth_method": tuple(Application.ClientAuth.values),
}

# Seconds: (minimum, maximum).
LIFETIME_BOUNDS: dict[str, tuple[int, int]] = {
    "access_token_lifetime": (60, 86_400),
    "refresh_token_lifetime": (60, 31_536_000),
    "id_token_lifetime": (60, 86_400),
}

_URI_LISTS = ("redirect_uris", "post_logout_redirect_uris", "allowed_origins")


def settings_of(application: Application) -> dict[str, Any]:
    """The current value of every setting of ``application``."""
    values: dict[str, Any] = {}
    for name in SETTINGS:
        value = getattr(application, name)
        if name in _URI_LISTS:
            value = value.split()
        elif name == "grant_types":
            value = list(value or [])
        elif name == "jwks":
            value = dict(value or {})
        values[name] = value
    return values


def settings_apply(application: Application, values: dict[str, Any]) -> None:
    """Write already validated ``values`` onto the model instance (no save)."""
    for name, value in values.items():
        if name in _URI_LISTS:
            value = " ".join(value)
        setattr(application, name, value)
    grants = application.grant_types or []
    application.authorization_grant_type = next(
        (DOT_GRANT[grant] for grant in grants if grant in DOT_GRANT), Application.GRANT_AUTHORIZATION_CODE
    )
