"""End-user flow pages: ``/accountrecoveryendpoint/register``, ``recovery`` and ``invite``.

Each page is a thin client of ``flow_execute``, exactly what a mobile app would do through
``POST /api/server/v1/flow/execute``: the first visit starts the flow, every form posts
``flowId`` + ``actionId`` + the inputs of the view, and the answer is rendered from its
``data.components``. Plain HTML forms with CSRF work without JavaScript; htmx (``hx-boost``) only
saves the page reload. The browser's Django session remembers, per flow type, the flow id, the last
view and where to go afterwards (``next`` and the application)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from apps.flows.rendering import flow_nodes, has_heading, view_identifiers
from apps.flows.services import FlowError, flow_assertion_consume, flow_config_get, flow_execute

SESSION_KEY = "flows_pages"
REGISTRATION = "REGISTRATION"
PASSWORD_RECOVERY = "PASSWORD_RECOVERY"
INVITED = "INVITED_USER_REGISTRATION"
URL_NAMES = {REGISTRATION: "flows:register", PASSWORD_RECOVERY: "flows:password-recovery", INVITED: "flows:invite"}
RESERVED_FIELDS = frozenset({"csrfmiddlewaretoken", "flowId", "actionId"})
MAX_INPUTS = 50
MAX_VALUE = 4096


def _titles() -> dict[str, str]:
    return {
        REGISTRATION: _("Create account"),
        PASSWORD_RECOVERY: _("Reset your password"),
        INVITED: _("Set up your account"),
    }


# --- the browser's flow state ---------------------------------------------------------------


def _states(request: HttpRequest) -> dict[str, Any]:
    states = request.session.get(SESSION_KEY)
    return states if isinstance(states, dict) else {}


def _state(request: HttpRequest, flow_type: str) -> dict[str, Any] | None:
    state = _states(request).get(flow_type)
    return state if isinstance(state, dict) and state.get("flowId") else None


def _state_save(request: HttpRequest, flow_type: str, state: dict[str, Any]) -> None:
    states = _states(request)
    states[flow_type] = state
    request.session[SESSION_KEY] = states


def _state_drop(request: HttpRequest, flow_type: str) -> None:
    states = _states(request)
    if states.pop(flow_type, None) is not None:
        request.session[SESSION_KEY] = states


def _view_of(response: dict[str, Any]) -> dict[str, Any]:
    """What the page needs from an execute response to render it again later (no secrets in it)."""
    data = response.get("data") if isinstance(response.get("data"), dict) else {}
    return {
        "type": response.get("type", "VIEW"),
        "components": data.get("components") or [],
        "messages": data.get("messages") or [],
        "redirectURL": data.get("redirectURL") or data.get("url") or "",
    }


# --- entry points -------------------------------------------------------------------------------


def flow_entry_url(request: HttpRequest, flow_type: str, *, next_url: str = "", client_id: str = "") -> str:
    """The page that starts ``flow_type`` keeping the application context, or "" when the
    organization has not enabled that flow (the login page then shows no link)."""
    organization = getattr(request, "organization", None)
    if organization is None:
        return ""
    try:
        if not flow_config_get(organization, flow_type).get("isEnabled"):
            return ""
    except (FlowError, NotImplementedError):
        return ""
    query = {key: value for key, value in (("next", next_url), ("client_id", client_id)) if value}
    url = reverse(URL_NAMES[flow_type])
    return f"{url}?{urlencode(query)}" if query else url


def _application(organization: Any, client_id: str) -> Any | None:
    from apps.authn.services.flows import application_for

    return application_for(organization, client_id) if client_id else None


def _start(request: HttpRequest, flow_type: str, *, next_url: str, client_id: str, code: str) -> dict[str, Any]:
    """Start a new flow for this browser (replacing an unfinished one of the same type)."""
    data: dict[str, Any] = {"flowType": flow_type}
    application = _application(request.organization, client_id)
    if application is not None:
        data["applicationId"] = str(application.pk)
    if code:
        data["inputs"] = {"confirmationCode": code}
    response = flow_execute(organization=request.organization, data=data, request=request)
    state = {
        "flowId": str(response.get("flowId") or ""),
        "next": next_url,
        "client_id": application.client_id if application is not None else "",
        "view": _view_of(response),
    }
    _state_save(request, flow_type, state)
    return state


# --- rendering --------------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    flow_type: str,
    state: dict[str, Any],
    *,
    error: str = "",
    values: dict[str, str] | None = None,
    field_errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    view = state.get("view") or {}
    nodes = flow_nodes(view.get("components"), values=values, errors=field_errors)
    title_node = _promote_title(nodes)
    messages = [m for m in view.get("messages") or [] if isinstance(m, dict) and m.get("message")]
    context = {
        "organization": request.organization,
        "title": _titles()[flow_type],
        "show_title": title_node is None and not has_heading(nodes),
        "title_node": title_node,
        "nodes": nodes,
        "flow_id": state.get("flowId", ""),
        "form_action": request.path,
        "error": error,
        "flow_messages": messages,
        "login_url": _login_url(state),
    }
    if getattr(request, "htmx", False) and status == 400:
        status = 200  # htmx swaps only 2xx answers; the page shows the error either way
    return render(request, "flows/page.html", context, status=status)


def _promote_title(nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The view's first heading is the page's ``<h1>`` (whatever size the designer picked); when it
    opens the view it is taken out so that messages can follow it."""
    for node in nodes:
        if node["kind"] == "heading":
            node["tag"] = "h1"
            if node is nodes[0]:
                return nodes.pop(0)
            return None
    return None


def _login_url(state: dict[str, Any]) -> str:
    query = {key: state[key] for key in ("next", "client_id") if state.get(key)}
    url = reverse("authn:login")
    return f"{url}?{urlencode(query)}" if query else url


def _problem(request: HttpRequest, flow_type: str, message: str, *, status: int, detail: str = "") -> HttpResponse:
    context = {
        "organization": request.organization,
        "title": _titles()[flow_type],
        "description": message,
        "detail": detail if detail != message else "",
    }
    return render(request, "flows/unavailable.html", context, status=status)


def _too_many(request: HttpRequest, exc: FlowError) -> HttpResponse:
    retry_after = int(getattr(exc, "retry_after", 0) or 60)
    context = {"organization": request.organization, "retry_after": retry_after}
    response = render(request, "authn/too_many.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """A full navigation, also when htmx posted the form (the target may be another site)."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


# --- completion ------------------------------------------------------------------------------------


def _auto_login(request: HttpRequest, state: dict[str, Any], assertion: str) -> str:
    """Sign the user in when the assertion is good and what the flow proved satisfies the
    application's login steps; return where to go then, or "" to show the completion page."""
    from apps.authn.services.flows import application_for
    from apps.authn.services.sequences import sequence_for, steps_missing
    from apps.authn.services.sessions import sso_session_establish

    organization = request.organization
    try:
        user = flow_assertion_consume(organization, assertion)
    except (FlowError, NotImplementedError):
        return ""
    if user is None or not getattr(user, "is_active", False):
        return ""
    # The authenticators the user passed in the flow (the assertion's ``amr``: basic, email_otp, ...).
    methods = [str(m) for m in getattr(user, "flow_authenticators", None) or () if m]
    if not methods:
        return ""
    application = application_for(organization, state.get("client_id") or "")
    if steps_missing(sequence_for(application.pk if application is not None else None), methods):
        return ""  # the application wants more than this flow proved: the login page asks for it
    sso_session_establish(request, user=user, methods=list(dict.fromkeys(methods)))
    return state.get("next") or reverse("myaccount:home")


def _completed(request: HttpRequest, flow_type: str, state: dict[str, Any], response: dict[str, Any]) -> HttpResponse:
    _state_drop(request, flow_type)
    data = response.get("data") if isinstance(response.get("data"), dict) else {}
    additional = data.get("additionalData") if isinstance(data.get("additionalData"), dict) else {}
    assertion = additional.get("userAssertion") or data.get("userAssertion") or ""
    if assertion:
        target = _auto_login(request, state, str(assertion))
        if target:
            return _go(request, target)
    headline = {
        REGISTRATION: _("Your account is ready"),
        PASSWORD_RECOVERY: _("Your password has been changed"),
        INVITED: _("Your account is ready"),
    }[flow_type]
    messages = [m for m in data.get("messages") or [] if isinstance(m, dict) and m.get("message")]
    context = {
        "organization": request.organization,
        "title": _titles()[flow_type],
        "headline": headline,
        "flow_messages": messages,
        "login_url": _login_url(state),
    }
    return render(request, "flows/done.html", context)


# --- the pages -----------------------------------------------------------------------------------------


def _posted_inputs(request: HttpRequest, state: dict[str, Any]) -> dict[str, str]:
    """The fields of the posted view: everything but the page's own fields; unticked boxes as "false"."""
    inputs: dict[str, str] = {}
    for key in list(request.POST.keys())[: MAX_INPUTS + len(RESERVED_FIELDS)]:
        if key not in RESERVED_FIELDS:
            inputs[key[:300]] = request.POST.get(key, "")[:MAX_VALUE]
    posted_action = request.POST.get("actionId", "")
    for identifier, variant in view_identifiers((state.get("view") or {}).get("components")).items():
        if variant == "CHECKBOX" and identifier not in inputs and posted_action:
            inputs[identifier] = "false"
    return inputs


def _field_errors(exc: FlowError, inputs: dict[str, str]) -> dict[str, str]:
    """A field message when the error names one of the posted identifiers."""
    field = getattr(exc, "field", "") or getattr(exc, "identifier", "")
    if field and field in inputs:
        return {field: exc.description or exc.message}
    return {}


def _advance(request: HttpRequest, flow_type: str, state: dict[str, Any]) -> HttpResponse:
    posted_flow = request.POST.get("flowId", "")[:100]
    action_id = request.POST.get("actionId", "")[:200]
    if not posted_flow or posted_flow != state.get("flowId"):
        # Another tab restarted the flow, or the session ended: start over, say so.
        return _restart(request, flow_type, state, _("This page was out of date. Please try again."))
    inputs = _posted_inputs(request, state)
    payload: dict[str, Any] = {"flowId": posted_flow, "inputs": inputs}
    if action_id:
        payload["actionId"] = action_id
    try:
        response = flow_execute(organization=request.organization, data=payload, request=request)
    except FlowError as exc:
        if exc.status == 429:
            return _too_many(request, exc)
        if exc.code == "FE-60001":  # unknown or expired flow id
            return _restart(request, flow_type, state, _("This took too long or was interrupted. Please start again."))
        values = {key: value for key, value in inputs.items()}
        return _page(
            request,
            flow_type,
            state,
            error=exc.description or exc.message,
            values=values,
            field_errors=_field_errors(exc, inputs),
            status=400,
        )
    if response.get("flowStatus") == "COMPLETE":
        return _completed(request, flow_type, state, response)
    state["flowId"] = str(response.get("flowId") or state["flowId"])
    state["view"] = _view_of(response)
    _state_save(request, flow_type, state)
    if state["view"]["type"] == "REDIRECTION" and state["view"]["redirectURL"]:
        return _go(request, state["view"]["redirectURL"])
    # Post/redirect/get: a reload shows the new view instead of posting the old one again.
    return redirect(request.path)


def _restart(request: HttpRequest, flow_type: str, old: dict[str, Any], message: str) -> HttpResponse:
    try:
        state = _start(request, flow_type, next_url=old.get("next", ""), client_id=old.get("client_id", ""), code="")
    except FlowError as exc:
        return _start_failed(request, flow_type, exc)
    return _page(request, flow_type, state, error=message, status=400)


def _start_failed(request: HttpRequest, flow_type: str, exc: FlowError) -> HttpResponse:
    _state_drop(request, flow_type)
    if exc.status == 429:
        return _too_many(request, exc)
    if exc.status >= 500 or exc.code in ("FE-60006", "FE-65001"):
        return _problem(request, flow_type, _("This page is not available for this organization."), status=404)
    return _problem(request, flow_type, exc.message, status=400, detail=exc.description)


def _resume_from_link(
    request: HttpRequest, flow_type: str, flow_id: str, token: str, state: dict[str, Any] | None
) -> HttpResponse:
    """A magic link (``?flowId=…&token=…``) continues the flow it was sent from, in this browser or
    another one (then without the first browser's ``next``)."""
    if state is None or state.get("flowId") != flow_id:
        state = {"flowId": flow_id, "next": "", "client_id": "", "view": {}}
    payload = {"flowId": flow_id, "inputs": {"magicLinkToken": token}}
    try:
        response = flow_execute(organization=request.organization, data=payload, request=request)
    except FlowError as exc:
        return _start_failed(request, flow_type, exc)
    if response.get("flowStatus") == "COMPLETE":
        return _completed(request, flow_type, state, response)
    state["view"] = _view_of(response)
    _state_save(request, flow_type, state)
    return redirect(request.path)  # the token leaves the address bar


@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def flow_page(request: HttpRequest, flow_type: str) -> HttpResponse:
    """GET shows the current view (starting the flow when needed); POST submits the view."""
    from apps.authn.views import safe_next

    if request.organization is None:
        raise Http404
    state = _state(request, flow_type)
    if request.method == "POST":
        if state is None:
            return _restart(request, flow_type, {}, _("This took too long or was interrupted. Please start again."))
        return _advance(request, flow_type, state)
    resume_id = request.GET.get("flowId", "")[:100]
    if resume_id and request.GET.get("token"):
        return _resume_from_link(request, flow_type, resume_id, request.GET["token"][:512], state)
    code = (request.GET.get("code") or request.GET.get("token") or "")[:512] if flow_type != REGISTRATION else ""
    starting = any(request.GET.get(name) for name in ("next", "client_id", "fresh", "code", "token"))
    if state is None or starting:
        try:
            state = _start(
                request,
                flow_type,
                next_url=safe_next(request),
                client_id=request.GET.get("client_id", "")[:255],
                code=code,
            )
        except FlowError as exc:
            return _start_failed(request, flow_type, exc)
        if code:  # keep the confirmation code out of the address bar and the history
            return redirect(request.path)
    return _page(request, flow_type, state)


def register(request: HttpRequest) -> HttpResponse:
    return flow_page(request, REGISTRATION)


def recovery(request: HttpRequest) -> HttpResponse:
    return flow_page(request, PASSWORD_RECOVERY)


def invite(request: HttpRequest) -> HttpResponse:
    return flow_page(request, INVITED)


__all__ = ["flow_entry_url", "flow_page", "invite", "recovery", "register"]
