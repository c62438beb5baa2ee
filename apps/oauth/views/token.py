"""POST /oauth2/token, /oauth2/introspect and /oauth2/revoke."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict

from apps.oauth.clients import (
    GRANT_DEVICE_CODE,
    GRANT_TOKEN_EXCHANGE,
    AuthenticatedClient,
    client_authenticate,
    client_cache_invalidate,
)
from apps.oauth.dpop import DPoPError, VerifiedProof, dpop_proof_verify, nonce_issue, nonce_required
from apps.oauth.errors import OAuthError, invalid_request, json_response
from apps.oauth.grants.authorization_code import token_issue_for_authorization_code
from apps.oauth.grants.client_credentials import token_issue_for_client_credentials
from apps.oauth.grants.device_code import token_issue_for_device_code
from apps.oauth.grants.organization_switch import token_issue_for_organization_switch
from apps.oauth.grants.refresh_token import token_issue_for_refresh_token
from apps.oauth.grants.token_exchange import token_issue_for_token_exchange
from apps.oauth.introspection import token_introspect, token_revoke
from apps.oauth.par import par_push
from apps.oauth.store import StaleClient
from apps.oauth.views.common import oauth_form_endpoint

GrantHandler = Callable[..., dict[str, Any]]
GRANTS: dict[str, GrantHandler] = {
    "client_credentials": token_issue_for_client_credentials,
    "authorization_code": token_issue_for_authorization_code,
    "refresh_token": token_issue_for_refresh_token,
    GRANT_TOKEN_EXCHANGE: token_issue_for_token_exchange,
    GRANT_DEVICE_CODE: token_issue_for_device_code,
    "organization_switch": token_issue_for_organization_switch,
}


def _issue(request: HttpRequest, handler: GrantHandler, proof: VerifiedProof | None) -> dict[str, Any]:
    params: QueryDict = request.POST
    for _attempt in range(2):
        authenticated: AuthenticatedClient = client_authenticate(request, organization=request.organization)
        if proof is not None:
            authenticated = replace(authenticated, dpop=proof)
        elif authenticated.client.dpop_required:  # the application's token binding is DPoP (RFC 9449 §5)
            raise DPoPError("DPoP header is required.")
        try:
            return handler(params=params, authenticated=authenticated, organization=request.organization)
        except StaleClient:
            # The application changed since this process cached it: decide again on fresh data.
            client_cache_invalidate(client_id=authenticated.client.client_id)
    raise OAuthError("temporarily_unavailable", "The client is being changed; try again.", status=503)


@oauth_form_endpoint
def token(request: HttpRequest) -> HttpResponse:
    grant_type = request.POST.get("grant_type")
    if not grant_type:
        raise invalid_request("grant_type is required.")
    handler = GRANTS.get(grant_type)
    if handler is None:
        raise OAuthError("unsupported_grant_type", f"The grant type {grant_type[:64]} is not supported.")
    require_nonce = nonce_required()
    proof = dpop_proof_verify(request, require_nonce=require_nonce)
    # RFC 9449 §8.2: with nonces on, each success also hands out the nonce to use next.
    headers = {"DPoP-Nonce": nonce_issue()} if require_nonce and proof is not None else None
    return json_response(_issue(request, handler, proof), headers=headers)


def _token_param(request: HttpRequest) -> tuple[str, str]:
    raw = request.POST.get("token", "")
    if not raw:
        raise invalid_request("token is required.")
    return raw, request.POST.get("token_type_hint", "")


@oauth_form_endpoint
def introspect(request: HttpRequest) -> HttpResponse:
    client_authenticate(request, organization=request.organization, public_allowed=False)
    raw, hint = _token_param(request)
    return json_response(token_introspect(raw=raw, hint=hint, organization=request.organization))


@oauth_form_endpoint
def revoke(request: HttpRequest) -> HttpResponse:
    authenticated = client_authenticate(request, organization=request.organization)
    raw, hint = _token_param(request)
    token_revoke(raw=raw, hint=hint, client=authenticated.client)
    return HttpResponse(status=200, headers={"Cache-Control": "no-store"})


@oauth_form_endpoint
def pushed_authorization_request(request: HttpRequest) -> HttpResponse:
    """RFC 9126 §2: the client authenticates as at the token endpoint; 201 with a request_uri."""
    authenticated = client_authenticate(request, organization=request.organization)
    proof = dpop_proof_verify(request)
    if proof is not None:
        authenticated = replace(authenticated, dpop=proof)
    body = par_push(params=request.POST, authenticated=authenticated, organization=request.organization)
    return json_response(body, status=201)
