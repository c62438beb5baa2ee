"""GET/POST /oauth2/authorize and the minimal login page /oauth2/login.

Signing in happens in the login portal (apps.authn): ``authorize`` asks it
whether the SSO session satisfies the application's sequence and sends the
browser there when not; /oauth2/login only forwards to it."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.authn.discovery import authorize_discovery
from apps.authn.services.sessions import authentication_satisfies, session_state
from apps.authn.views import login as portal_login
from apps.core.middleware import allow_form_targets
from apps.oauth.authorize import (
    AuthorizeError,
    AuthorizeFatal,
    authorization_request_parse,
    code_issue,
    redirect_uri_with,
)
from apps.oauth.consent import consent_grant, consent_needed
from apps.oauth.issuer import issuer
from apps.oauth.par import par_consume, par_resolve

AUTH_TIME_SESSION_KEY = "oauth_auth_time"
BACKEND = "apps.users.backends.OrganizationUserBackend"


def redirect_to_client(url: str) -> HttpResponse:
    """A 302 to a registered redirect URI (any scheme a native app registered, not only http/https)."""
    response = HttpResponse(status=302)
    response["Location"] = url
    response["Cache-Control"] = "no-store"
    return response


def error_page(request: HttpRequest, description: str, *, status: int = 400) -> HttpResponse:
    return render(request, "oauth/error.html", {"description": description}, status=status)


def session_user(request: HttpRequest, organization: Any) -> Any | None:
    """The signed-in user when the SSO session belongs to this organization."""
    state = session_state(request, organization)
    return state.user if state is not None else None


def session_auth_time(request: HttpRequest, user: Any) -> int:
    state = session_state(request, user.organization)
    return state.auth_time if state is not None else int(time.time())


def _portal_redirect(next_url: str, *, client_id: str = "", login_hint: str = "", fresh: bool = False) -> HttpResponse:
    """To the login portal, which comes back to ``next_url`` once the application's steps are done."""
    login_params = {"next": next_url}
    if client_id:
        login_params["client_id"] = client_id
    if login_hint:
        login_params["login_hint"] = login_hint
    if fresh:
        login_params["fresh"] = "1"
    return redirect(f"{reverse('authn:login')}?{urlencode(login_params)}")


@csrf_exempt  # a cross-site POST here is no worse than the equivalent GET navigation
@never_cache
def authorize(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    if organization is None or request.method not in ("GET", "POST"):
        raise Http404
    if not organization.is_active:
        return error_page(request, _("This organization is disabled."), status=403)
    # ``sent``: what the browser brought (with a pushed request: client_id and request_uri only);
    # ``params``: the request itself. Returns to this endpoint (after sign-in, consent) repeat ``sent``.
    sent = request.GET if request.method == "GET" else request.POST
    try:
        params = par_resolve(request, sent)
        auth_request = authorization_request_parse(params, organization=organization)
        discovered = authorize_discovery(request, params, auth_request.client)  # organization login (B2B)
        if discovered is not None:
            return discovered
        # The SSO session must satisfy this application's sequence, prompt and max_age (OIDC Core §3.1.2.1).
        authenticated = authentication_satisfies(
            request, client=auth_request.client, max_age=auth_request.max_age, prompt=auth_request.prompt
        )
        user = authenticated.user if authenticated is not None else None
        if user is None and "none" in auth_request.prompt:
            raise AuthorizeError(
                "login_required",
                "The user is not signed in.",
                redirect_uri=auth_request.redirect_uri,
                state=auth_request.state,
            )
    except AuthorizeFatal as exc:
        return error_page(request, exc.description)
    except AuthorizeError as exc:
        par_consume(sent)
        fields = {"error": exc.error, "error_description": exc.description, "state": exc.state}
        return redirect_to_client(redirect_uri_with(exc.redirect_uri, {**fields, "iss": issuer(organization)}))
    if authenticated is None:
        again = sent.copy()
        again.pop("prompt", None)  # once signed in, come back without forcing another login
        again.pop("max_age", None)  # ... nor another one for max_age: this one is fresh
        next_url = f"{reverse('oauth:authorize')}?{again.urlencode()}"
        fresh = "login" in auth_request.prompt or (
            auth_request.max_age is not None and session_user(request, organization) is not None
        )
        return _portal_redirect(
            next_url, client_id=auth_request.client.client_id, login_hint=auth_request.login_hint or "", fresh=fresh
        )
    if consent_needed(user=user, client=auth_request.client, scopes=auth_request.scopes, prompt=auth_request.prompt):
        if "none" in auth_request.prompt:
            par_consume(sent)
            fields = {
                "error": "consent_required",
                "error_description": "The user has not allowed this application yet.",
                "state": auth_request.state,
                "iss": issuer(organization),
            }
            return redirect_to_client(redirect_uri_with(auth_request.redirect_uri, fields))
        again = sent.copy()
        again.pop("prompt", None)  # once answered, come back without asking again
        context = {
            "organization": organization,
            "application_name": auth_request.client.name,
            "scopes": auth_request.scopes,
            "resources": [resource.identifier for resource in auth_request.resources],
            "authorize_request": again.urlencode(),
            "user": user,
        }
        return allow_form_targets(render(request, "oauth/consent.html", context), [auth_request.redirect_uri])
    code = code_issue(
        auth_request,
        user=user,
        organization=organization,
        auth_time=authenticated.auth_time,
        amr=authenticated.amr,
        sid=authenticated.session_id,
    )
    par_consume(sent)
    fields = {"code": code, "state": auth_request.state, "iss": issuer(organization)}
    return redirect_to_client(redirect_uri_with(auth_request.redirect_uri, fields))


def _safe_next(request: HttpRequest) -> str:
    """Only a return to this tenant's authorize endpoint or device verification page is followed."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    try:
        parts = urlsplit(candidate)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return ""
    allowed = (reverse("oauth:authorize"), reverse("oauth:device"))
    if parts.scheme or parts.netloc or parts.path not in allowed or "\\" in candidate:
        return ""
    return candidate


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    """The former login page: GET goes to the portal, a POSTed form is completed by the portal."""
    organization = request.organization
    if organization is None:
        raise Http404
    if request.method == "POST":
        return portal_login(request)
    next_url = _safe_next(request)
    if not next_url:
        return redirect(reverse("authn:login"))
    return _portal_redirect(next_url, login_hint=request.GET.get("login_hint", "")[:150])


@require_POST
@never_cache
def consent_view(request: HttpRequest) -> HttpResponse:
    """The answer to the consent page (CSRF-protected): remember it and go back to authorize, or deny."""
    organization = request.organization
    if organization is None:
        raise Http404
    params = QueryDict(request.POST.get("request", "")[:8192])
    try:
        auth_request = authorization_request_parse(par_resolve(request, params), organization=organization)
    except AuthorizeFatal as exc:
        return error_page(request, exc.description)
    except AuthorizeError as exc:
        par_consume(params)
        fields = {"error": exc.error, "error_description": exc.description, "state": exc.state}
        return redirect_to_client(redirect_uri_with(exc.redirect_uri, {**fields, "iss": issuer(organization)}))
    user = session_user(request, organization)
    if user is None:
        return redirect(f"{reverse('oauth:authorize')}?{params.urlencode()}")
    if request.POST.get("decision") != "allow":
        par_consume(params)
        fields = {
            "error": "access_denied",
            "error_description": "The user denied the request.",
            "state": auth_request.state,
            "iss": issuer(organization),
        }
        return redirect_to_client(redirect_uri_with(auth_request.redirect_uri, fields))
    consent_grant(user=user, client=auth_request.client, scopes=auth_request.scopes)
    return redirect(f"{reverse('oauth:authorize')}?{params.urlencode()}")
