"""The federated sign-in endpoints at the site root (tenant-prefixed like every page):

* ``GET /commonauth/start?flow=<login flow>&idp=<name>``: send the browser to the IdP.
* ``GET /commonauth?code=...&state=...``: the IdP's redirect back (WSO2's path name).

The callback finds the pending request by ``state`` and continues with the handler
registered for its purpose (``login``: the login portal, below). A login request must
have been started from this browser: its id is kept in the browser's session."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.authn.models import LoginFlow
from apps.authn.ratelimit import rate_count, rate_limited
from apps.authn.services.events import auth_event
from apps.authn.services.flows import FLOW_KEY, flow_choose, flow_current, flow_finish, flow_submit, step_authenticator
from apps.core import context
from apps.idp.authenticator import STATE_ERROR, STATE_IDENTITY
from apps.idp.models import FederatedAuthRequest
from apps.idp.selectors import idp_get
from apps.idp.services.federation import (
    FederationFailed,
    callback_handler,
    federated_authorization_complete,
    federated_authorization_start,
    federated_request_for_state,
)

BROWSER_KEY = "idp_requests"  # ids of the federated requests this browser started
MAX_BOUND = 5


def _error(request: HttpRequest, description: str, status: int = 400) -> HttpResponse:
    context = {"organization": request.organization, "description": description}
    return render(request, "authn/error.html", context, status=status)


def _continue(request: HttpRequest, next_url: str) -> HttpResponse:
    """Go on to ``next_url`` in a new navigation (``Refresh``), not a redirect: the redirects so far
    began with a form POST at the upstream IdP, whose CSP ``form-action`` would block the final hop
    to this organization's application."""
    response = render(request, "idp/continue.html", {"organization": request.organization, "next_url": next_url})
    response["Refresh"] = f"0;url={next_url}"
    return response


def _bind(request: HttpRequest, request_id: str) -> None:
    bound = [item for item in request.session.get(BROWSER_KEY, []) if isinstance(item, str)]
    request.session[BROWSER_KEY] = [*bound, request_id][-MAX_BOUND:]


def _is_bound(request: HttpRequest, auth_request: FederatedAuthRequest) -> bool:
    return str(auth_request.pk) in request.session.get(BROWSER_KEY, [])


@never_cache
@require_GET
def federated_start(request: HttpRequest) -> HttpResponse:
    """Choose ``federated:<idp>`` in the current step and redirect to the IdP."""
    if request.organization is None:
        return _error(request, _("Organization not found."), status=404)
    ip = context.current().ip or request.META.get("REMOTE_ADDR", "")
    limit = tuple(settings.IAM_LOGIN_RATE_PER_IP)
    wait = rate_limited("login-ip", ip, limit)  # the portal's per-IP budget: each start costs one
    if wait:
        page_context = {"organization": request.organization, "retry_after": wait}
        response = render(request, "authn/too_many.html", page_context, status=429)
        response["Retry-After"] = str(wait)
        return response
    rate_count("login-ip", ip, limit)
    flow = flow_current(request)
    if flow is None or request.GET.get("flow") != str(flow.pk):
        return redirect(reverse("authn:login"))
    name = request.GET.get("idp", "")[:100]
    if not flow_choose(flow, f"federated:{name}"):
        return redirect(reverse("authn:login"))
    idp = idp_get(request.organization, name)
    try:
        if idp is None:
            raise FederationFailed("idp_unknown", _("This sign-in option is not available right now."))
        start = federated_authorization_start(idp=idp, purpose="login", reference=str(flow.pk))
    except FederationFailed as exc:
        flow.state[STATE_ERROR] = exc.message
        flow.save(update_fields=["state"])
        return redirect(reverse("authn:login"))
    _bind(request, start.request_id)
    return redirect(start.url)


@never_cache
@require_GET
def federated_callback(request: HttpRequest) -> HttpResponse:
    if request.organization is None:
        return _error(request, _("Organization not found."), status=404)
    auth_request = federated_request_for_state(organization=request.organization, state=request.GET.get("state"))
    handler = callback_handler(auth_request.purpose) if auth_request is not None else None
    if auth_request is None or handler is None:
        return _error(
            request,
            _("This sign-in link is not valid any more (it was used, expired or altered). Please start again."),
        )
    return handler(request, auth_request)


def _step_failed(flow: LoginFlow, *, idp_name: str, reason: str) -> None:
    auth_event(
        "authentication.step_failed",
        user=flow.user,
        organization=flow.organization,
        data={
            "authenticator": f"federated:{idp_name}",
            "step": flow.step_index + 1,
            "reason": reason,
            "application": flow.client_id,
        },
    )


def login_callback(request: HttpRequest, auth_request: FederatedAuthRequest) -> HttpResponse:
    """The login portal's continuation: finish the federated step of the flow that started it."""
    if not _is_bound(request, auth_request):
        return _error(request, _("This sign-in was started in another browser. Please start again."))
    flow = (
        LoginFlow.objects.select_related("user", "organization")
        .filter(pk=auth_request.reference, organization_id=request.organization.pk, expires__gt=timezone.now())
        .first()
    )
    if flow is None:
        return _error(request, _("Your sign-in took too long or was interrupted. Please start again."))
    request.session[FLOW_KEY] = str(flow.pk)  # signing in upstream (same site) may have replaced it
    idp_name = auth_request.idp.name
    authenticator = step_authenticator(flow)
    if authenticator is None or authenticator.id != f"federated:{idp_name}":
        return redirect(reverse("authn:login"))
    try:
        identity = federated_authorization_complete(
            auth_request=auth_request, code=request.GET.get("code"), error=request.GET.get("error", "")
        )
    except FederationFailed as exc:
        flow.state[STATE_ERROR] = exc.message
        flow.state.pop(STATE_IDENTITY, None)
        flow.save(update_fields=["state"])
        _step_failed(flow, idp_name=idp_name, reason=exc.reason)
        return redirect(reverse("authn:login"))
    flow.state[STATE_IDENTITY] = identity.as_state()
    flow.save(update_fields=["state"])
    result = flow_submit(request, flow, {"federated_resume": "1"})
    if result.done:
        return _continue(request, flow_finish(request, flow) or reverse("myaccount:home"))
    return _continue(request, reverse("authn:login"))  # the next step, the JIT form, or the failure message
