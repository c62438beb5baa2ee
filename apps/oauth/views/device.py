"""POST /oauth2/device_authorize (RFC 8628 §3.1) and the user's page /oauth2/device (§3.3).

The page is plain HTML: sign in (the OAuth login page) if needed, enter the
code, or arrive with it from ``verification_uri_complete``, then see which
application asks for what and approve or deny. The code is never approved by
a GET: the decision is a CSRF-protected POST, after the user has compared the
code shown with the one on the device (RFC 8628 §5.4). Wrong codes are
counted in the session; after ``MAX_FAILURES`` within ``FAILURE_WINDOW`` the
page stops looking codes up for that session (§5.1: user codes are short)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from apps.oauth.clients import GRANT_DEVICE_CODE, client_authenticate
from apps.oauth.device import (
    device_authorization_decide,
    device_authorization_pending,
    device_authorization_start,
    user_code_display,
    user_code_normalize,
)
from apps.oauth.errors import OAuthError, json_response
from apps.oauth.issuer import endpoint_url
from apps.oauth.models import DeviceAuthorization
from apps.oauth.scopes import resources_select, scope_parse
from apps.oauth.views.authorize import error_page, session_auth_time, session_user
from apps.oauth.views.common import oauth_form_endpoint

FAILURES_SESSION_KEY = "oauth_device_failures"
MAX_FAILURES = 10
FAILURE_WINDOW = 900  # seconds


@oauth_form_endpoint
def device_authorize(request: HttpRequest) -> HttpResponse:
    authenticated = client_authenticate(request, organization=request.organization)
    client = authenticated.client
    if not client.allows(GRANT_DEVICE_CODE):
        raise OAuthError("unauthorized_client", "The client may not use the device authorization grant.")
    scopes = scope_parse(request.POST.get("scope"))
    resources = resources_select(client, request.POST.getlist("resource"))
    started = device_authorization_start(client=client, scopes=scopes, resources=resources)
    verification_uri = endpoint_url(request.organization, "device")
    return json_response(
        {
            "device_code": started.device_code,
            "user_code": started.user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": f"{verification_uri}?{urlencode({'user_code': started.user_code})}",
            "expires_in": started.expires_in,
            "interval": started.interval,
        }
    )


def _recent_failures(request: HttpRequest) -> list[float]:
    now = time.time()
    stored = request.session.get(FAILURES_SESSION_KEY, [])
    return [t for t in stored if isinstance(t, int | float) and now - t < FAILURE_WINDOW]


def _lookup(request: HttpRequest, user_code: str) -> tuple[DeviceAuthorization | None, str]:
    """The pending authorization for ``user_code`` in this organization, or an error message."""
    failures = _recent_failures(request)
    if len(failures) >= MAX_FAILURES:
        return None, _("Too many incorrect codes. Wait a few minutes and try again.")
    authorization = device_authorization_pending(user_code=user_code, organization=request.organization)
    if authorization is None:
        request.session[FAILURES_SESSION_KEY] = [*failures, time.time()]
        return None, _("This code is not valid or has expired. Check the code shown on your device.")
    return authorization, ""


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    return render(request, template, {"organization": request.organization, **context}, status=status)


def _confirm(request: HttpRequest, authorization: DeviceAuthorization) -> HttpResponse:
    code = user_code_normalize(request.POST.get("user_code") or request.GET.get("user_code", "")) or ""
    return _page(
        request,
        "oauth/device_confirm.html",
        application=authorization.application,
        scopes=authorization.scope.split(),
        resources=list(authorization.resource or []),
        user_code=user_code_display(code),
    )


@never_cache
def device_verification(request: HttpRequest) -> HttpResponse:
    organization = request.organization
    if organization is None or request.method not in ("GET", "POST"):
        raise Http404
    if not organization.is_active:
        return error_page(request, _("This organization is disabled."), status=403)
    user = session_user(request, organization)
    if user is None:
        here = reverse("oauth:device")
        code = request.GET.get("user_code", "")
        next_url = f"{here}?{urlencode({'user_code': code})}" if code else here
        return redirect(f"{reverse('oauth:login')}?{urlencode({'next': next_url})}")
    params = request.POST if request.method == "POST" else request.GET
    user_code = params.get("user_code", "")
    if not user_code:
        return _page(request, "oauth/device_enter.html")
    authorization, message = _lookup(request, user_code)
    if authorization is None:
        return _page(request, "oauth/device_enter.html", status=400, error=message, user_code=user_code[:32])
    decision = request.POST.get("decision") if request.method == "POST" else None
    if decision not in ("approve", "deny"):
        return _confirm(request, authorization)
    approved = decision == "approve"
    if not device_authorization_decide(
        authorization, user=user, approve=approved, auth_time=session_auth_time(request, user)
    ):
        message = _("This code is not valid or has expired. Check the code shown on your device.")
        return _page(request, "oauth/device_enter.html", status=400, error=message)
    return _page(request, "oauth/device_done.html", approved=approved, application=authorization.application)
