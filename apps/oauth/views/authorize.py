"""GET/POST /oauth2/authorize and the minimal login page /oauth2/login.

The login page is a stand-in until the login portal issue: username and
password of the organization in the URL, CSRF-protected, one message for
every failure so it never tells whether an account exists."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from apps.console.forms import LoginForm
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
from apps.users.services import user_check_password

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
    """The signed-in user when the session belongs to this organization."""
    user = request.user
    if not user.is_authenticated or user.organization_id != organization.id or not user.is_active:
        return None
    return user


def session_auth_time(request: HttpRequest, user: Any) -> int:
    value = request.session.get(AUTH_TIME_SESSION_KEY)
    if isinstance(value, int):
        return value
    return int(user.last_login.timestamp()) if user.last_login else int(time.time())


def _too_old(request: HttpRequest, user: Any, max_age: int | None) -> bool:
    return max_age is not None and int(time.time()) - session_auth_time(request, user) > max_age


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
        user = session_user(request, organization)
        if user is not None and _too_old(request, user, auth_request.max_age):
            user = None  # OIDC Core §3.1.2.1: max_age demands a fresh authentication
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
    if user is None or "login" in auth_request.prompt:
        again = sent.copy()
        again.pop("prompt", None)  # once signed in, come back without forcing another login
        again.pop("max_age", None)  # ... nor another one for max_age: this one is fresh
        next_url = f"{reverse('oauth:authorize')}?{again.urlencode()}"
        login_params = {"next": next_url}
        if auth_request.login_hint:
            login_params["login_hint"] = auth_request.login_hint
        return redirect(f"{reverse('oauth:login')}?{urlencode(login_params)}")
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
        return render(request, "oauth/consent.html", context)
    code = code_issue(auth_request, user=user, organization=organization, auth_time=session_auth_time(request, user))
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
    organization = request.organization
    if organization is None:
        raise Http404
    next_url = _safe_next(request)
    hint = request.GET.get("login_hint", "")[:150]  # OIDC login_hint: prefill the username
    form = LoginForm(request.POST if request.method == "POST" else None, initial={"username": hint} if hint else None)
    if request.method == "POST" and form.is_valid():
        user = user_check_password(
            organization=organization,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
        )
        if user is None:
            form.add_error(None, _("Incorrect username or password."))
        else:
            login(request, user, backend=BACKEND)
            request.session[AUTH_TIME_SESSION_KEY] = int(time.time())
            return redirect(next_url or reverse("myaccount:home"))
    context = {"form": form, "next": next_url, "organization": organization}
    return render(request, "oauth/login.html", context, status=400 if form.errors else 200)


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
