"""Dynamic client registration (RFC 7591): client metadata in, an application out.

Policy (settings, see docs/oauth.md):

* ``IAM_DCR_MODE``: ``open`` (anyone may register; the development default),
  ``initial-access-token`` (a bearer token of the organization holding
  ``internal_dcr_create``; the production default) or ``off`` (no endpoint,
  nothing advertised).
* ``IAM_DCR_TEMPLATES``: the application template for public clients
  (``token_endpoint_auth_method: none``; MCP clients register this way) and
  for confidential ones. The template's rules apply as they do in the Console:
  exact https (or loopback http) redirect URIs, PKCE for public clients, no
  client_credentials without a secret.
* Grant types a client may register for: ``DCR_GRANT_TYPES``. Token exchange is
  left to administrators (it lets a client act for users whose tokens it sees).
* ``IAM_DCR_AUTHORIZE_MCP_SERVERS``: a public client made from the MCP template
  is authorized for the organization's MCP servers (all their scopes, or those
  named in its ``scope``), so it can ask for a token with ``resource`` right
  after registering, as MCP clients do. Users still only receive the scopes
  their roles hold.
* ``IAM_DCR_MAX_PER_HOUR``: registrations per organization and hour.

Registered applications are third-party by definition: they are marked
``registration_source=dcr`` and never skip the consent step."""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.applications.app_settings import (
    CLIENT_CONFIDENTIAL,
    CLIENT_PUBLIC,
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_DEVICE_CODE,
    GRANT_REFRESH_TOKEN,
)
from apps.applications.app_templates import MCP_TEMPLATE_ID
from apps.applications.models import APIResource, Application
from apps.applications.services import application_authorize_api, application_create
from apps.applications.services.validation import origins_of
from apps.core.errors import Conflict, InvalidInput
from apps.oauth.errors import OAuthError
from apps.oauth.scopes import oidc_scopes, scope_parse

MODE_OPEN = "open"
MODE_INITIAL_ACCESS_TOKEN = "initial-access-token"
MODE_OFF = "off"
MODES = (MODE_OPEN, MODE_INITIAL_ACCESS_TOKEN, MODE_OFF)
DCR_SCOPE = "internal_dcr_create"
DCR_GRANT_TYPES = (GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN, GRANT_CLIENT_CREDENTIALS, GRANT_DEVICE_CODE)
AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post", "private_key_jwt")
DEFAULT_TEMPLATES = {"public": MCP_TEMPLATE_ID, "confidential": "oidc-web-application"}
DEFAULT_NAME = "Dynamic client"


class RegistrationError(OAuthError):
    """RFC 7591 §3.2.2: ``invalid_redirect_uri``, ``invalid_client_metadata``, ``invalid_software_statement``."""


def _metadata_error(description: str) -> RegistrationError:
    return RegistrationError("invalid_client_metadata", description)


def dcr_mode() -> str:
    mode = getattr(settings, "IAM_DCR_MODE", MODE_OPEN)
    return mode if mode in MODES else MODE_OFF  # a typo must not open registration


def _templates() -> dict[str, str]:
    return {**DEFAULT_TEMPLATES, **getattr(settings, "IAM_DCR_TEMPLATES", {})}


@dataclass(frozen=True)
class ClientMetadata:
    client_name: str
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    grant_types: list[str]
    response_types: list[str]
    token_endpoint_auth_method: str
    scopes: tuple[str, ...] | None
    jwks: dict[str, Any]


def _strings(body: dict[str, Any], name: str, default: list[str], error: str = "invalid_client_metadata") -> list[str]:
    value = body.get(name, default)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RegistrationError(error, f"{name} must be an array of strings.")
    return list(dict.fromkeys(value))


def client_metadata_parse(body: Any) -> ClientMetadata:
    """RFC 7591 §2 metadata, with its defaults; members this server does not use are ignored."""
    if not isinstance(body, dict):
        raise _metadata_error("The request body must be a JSON object.")
    if "software_statement" in body:
        raise RegistrationError("invalid_software_statement", "Software statements are not supported.")
    if "jwks_uri" in body:
        raise _metadata_error("jwks_uri is not supported: register the public keys as jwks.")
    method = body.get("token_endpoint_auth_method", "client_secret_basic")
    if method not in AUTH_METHODS:
        raise _metadata_error(f"token_endpoint_auth_method must be one of {', '.join(AUTH_METHODS)}.")
    grant_types = _strings(body, "grant_types", [GRANT_AUTHORIZATION_CODE])
    refused = [grant for grant in grant_types if grant not in DCR_GRANT_TYPES]
    if refused or not grant_types:
        raise _metadata_error(f"grant_types may hold only {', '.join(DCR_GRANT_TYPES)}.")
    code_flow = GRANT_AUTHORIZATION_CODE in grant_types
    response_types = _strings(body, "response_types", ["code"] if code_flow else [])
    if set(response_types) - {"code"}:
        raise _metadata_error("Only the response type code is supported.")
    if ("code" in response_types) != code_flow:
        raise _metadata_error("response_types code and grant type authorization_code go together (RFC 7591 §2.1).")
    name = body.get("client_name", "")
    if not isinstance(name, str):
        raise _metadata_error("client_name must be a string.")
    scope = body.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise _metadata_error("scope must be a space-separated string.")
    try:
        scopes = scope_parse(scope) if scope is not None else None
    except OAuthError as exc:
        raise _metadata_error(exc.description) from exc
    jwks = body.get("jwks", {})
    if not isinstance(jwks, dict):
        raise _metadata_error("jwks must be a JWK Set object.")
    return ClientMetadata(
        client_name=name.strip()[:200],
        redirect_uris=_strings(body, "redirect_uris", [], error="invalid_redirect_uri"),
        post_logout_redirect_uris=_strings(body, "post_logout_redirect_uris", [], error="invalid_redirect_uri"),
        grant_types=grant_types,
        response_types=response_types,
        token_endpoint_auth_method=method,
        scopes=scopes,
        jwks=jwks,
    )


def _settings_from(metadata: ClientMetadata) -> dict[str, Any]:
    public = metadata.token_endpoint_auth_method == "none"
    values: dict[str, Any] = {
        "client_type": CLIENT_PUBLIC if public else CLIENT_CONFIDENTIAL,
        "grant_types": metadata.grant_types,
        "redirect_uris": metadata.redirect_uris,
        "post_logout_redirect_uris": metadata.post_logout_redirect_uris,
        "token_endpoint_auth_method": metadata.token_endpoint_auth_method,
        "skip_authorization": False,
        # A browser-based public client calls the token endpoint from where its redirect URIs live.
        "allowed_origins": origins_of(metadata.redirect_uris) if public else [],
    }
    if metadata.jwks:
        values["jwks"] = metadata.jwks
    return values


def _as_registration_error(exc: InvalidInput) -> RegistrationError:
    if exc.field in ("redirect_uris", "post_logout_redirect_uris"):
        return RegistrationError("invalid_redirect_uri", exc.message)
    return _metadata_error(exc.message)


def _create(*, organization: Any, actor: Any, template_id: str, name: str, values: dict[str, Any]) -> Any:
    """``application_create``; a taken name gets a random suffix (every MCP host registers as itself)."""
    candidate = name
    for _attempt in range(3):
        try:
            return application_create(
                actor=actor, organization=organization, template_id=template_id, name=candidate, **values
            )
        except Conflict:
            candidate = f"{name} ({secrets.token_hex(3)})"
        except InvalidInput as exc:
            raise _as_registration_error(exc) from exc
    raise _metadata_error("Choose another client_name.")


def _authorize_mcp_servers(*, actor: Any, application: Application, scopes: tuple[str, ...] | None) -> set[str]:
    granted: set[str] = set()
    servers = APIResource.objects.for_org(application.organization).filter(type=APIResource.Type.MCP)
    for server in servers.prefetch_related("scopes"):
        names = [scope.name for scope in server.scopes.all() if scopes is None or scope.name in scopes]
        if scopes is not None and not names:
            continue
        application_authorize_api(actor=actor, application=application, api_resource=server, scopes=names)
        granted.update(names)
    return granted


def _check_rate(organization: Any) -> None:
    limit = int(getattr(settings, "IAM_DCR_MAX_PER_HOUR", 100))
    since = timezone.now() - datetime.timedelta(hours=1)
    recent = Application.objects.filter(
        organization=organization, registration_source=Application.RegistrationSource.DCR, created__gte=since
    )
    if recent.count() >= limit:
        raise OAuthError(
            "temporarily_unavailable",
            "Too many registrations; try again later.",
            status=429,
            headers={"Retry-After": "600"},
        )


@transaction.atomic
def dcr_register(*, organization: Any, actor: Any, metadata: ClientMetadata) -> dict[str, Any]:
    """Create the application and return the RFC 7591 §3.2.1 response (the secret appears only here)."""
    _check_rate(organization)
    values = _settings_from(metadata)
    public = values["client_type"] == CLIENT_PUBLIC
    template_id = _templates()["public" if public else "confidential"]
    application, secret = _create(
        organization=organization,
        actor=actor,
        template_id=template_id,
        name=metadata.client_name or DEFAULT_NAME,
        values=values,
    )
    Application.objects.filter(pk=application.pk).update(registration_source=Application.RegistrationSource.DCR)
    authorized: set[str] = set()
    if public and template_id == MCP_TEMPLATE_ID and getattr(settings, "IAM_DCR_AUTHORIZE_MCP_SERVERS", True):
        authorized = _authorize_mcp_servers(actor=actor, application=application, scopes=metadata.scopes)
    body: dict[str, Any] = {
        "client_id": application.client_id,
        "client_id_issued_at": int(application.created.timestamp()),
        "client_name": application.name,
        "redirect_uris": metadata.redirect_uris,
        "grant_types": metadata.grant_types,
        "response_types": metadata.response_types,
        "token_endpoint_auth_method": metadata.token_endpoint_auth_method,
    }
    if secret is not None and metadata.token_endpoint_auth_method != "private_key_jwt":  # it could not be used
        body.update({"client_secret": secret, "client_secret_expires_at": 0})
    if metadata.post_logout_redirect_uris:
        body["post_logout_redirect_uris"] = metadata.post_logout_redirect_uris
    if metadata.jwks:
        body["jwks"] = application.jwks
    if metadata.scopes is not None:
        oidc = oidc_scopes(organization)
        usable = [scope for scope in metadata.scopes if scope in oidc or scope in authorized]
        body["scope"] = " ".join(usable)
    return body
