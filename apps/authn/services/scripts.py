"""Conditional authentication in the login flow: the script decides which step comes next.

A scripted flow starts with no planned steps. ``script_flow_advance`` runs the
script (``apps.authn.scripting.engine``) over the flow's journal and appends
the step it asks for to ``flow.steps``, so the portal shows it like any planned
step; when the script ends, the flow is complete; when it fails (throws, runs
out of time or memory, calls ``fail()``/``sendError()``), the flow records the
failure and the portal shows it: the login fails closed. Each failure is logged
and audited (``authentication.script_failed``).

The script text and the configured steps are copied into the flow when it
starts, like the plan of an unscripted flow. Because the OAuth authorize
endpoint cannot run the script itself, a scripted application's SSO sign-in
always goes through the portal; a finished script leaves a one-time "pass" for
that application in the browser session, which ``authentication_satisfies``
takes instead of comparing the SSO session's methods with the sequence."""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict

from apps.authn.models import AuthSequence, LoginFlow
from apps.authn.scripting.bridge import HostContext, tenant_domain
from apps.authn.scripting.engine import Decision, journal_step_record, script_evaluate
from apps.authn.services.events import auth_event

logger = logging.getLogger("apps.authn.scripting")

PASS_KEY = "authn_script_pass"
PASS_SECONDS = 120
COOKIE_SALT = "apps.authn.scripting.cookie"
COOKIE_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
HIDDEN_HEADERS = {"cookie", "authorization", "proxy-authorization", "x-csrftoken"}
MAX_HEADERS = 50


def sequence_script(application_id: Any) -> str:
    """The enabled script of an application, or ""."""
    if application_id is None:
        return ""
    row = AuthSequence.objects.filter(application_id=application_id).only("script", "script_enabled").first()
    return row.script if row is not None and row.script_enabled and row.script.strip() else ""


# --- what the script sees of the request ------------------------------------------------------------


def _hidden_cookies() -> set[str]:
    return {settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME}


def _script_cookies(request: HttpRequest, organization: Any) -> dict[str, str]:
    """Cookies a script set earlier in this organization (signed by us); others read as absent."""
    signer = signing.Signer(salt=f"{COOKIE_SALT}:{organization.pk}")
    found: dict[str, str] = {}
    for name, value in list(request.COOKIES.items())[:50]:
        if name in _hidden_cookies():
            continue
        try:
            found[name] = signer.unsign(value)[:1024]
        except signing.BadSignature:
            continue
    return found


def _request_snapshot(request: HttpRequest, next_url: str, organization: Any) -> dict[str, Any]:
    from apps.core import context as request_context

    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        key = name.lower()
        if key in HIDDEN_HEADERS or len(headers) >= MAX_HEADERS:
            continue
        headers[key] = [str(value)[:1024]]
    params: dict[str, list[str]] = {}
    sources = [request.GET]
    if next_url:
        sources.append(QueryDict(urlsplit(next_url).query))
    for source in sources:
        for key in list(source.keys())[:50]:
            params.setdefault(key[:100], [item[:1024] for item in source.getlist(key)[:10]])
    return {
        "ip": request_context.current().ip or request.META.get("REMOTE_ADDR", ""),
        "headers": headers,
        "params": params,
        "cookies": _script_cookies(request, organization),
    }


def _context(request: HttpRequest, flow: LoginFlow, application: Any) -> dict[str, Any]:
    organization = flow.organization
    return {
        "request": _request_snapshot(request, flow.next_url, organization),
        "application": {"id": str(application.uuid), "name": application.name, "clientId": application.client_id},
        "serviceProviderName": application.name,
        "tenantDomain": tenant_domain(organization),
        "organization": {"id": str(organization.pk), "handle": organization.handle, "name": organization.name},
    }


# --- the flow ----------------------------------------------------------------------------------------


def script_active(flow: LoginFlow) -> bool:
    return isinstance(flow.state.get("script"), dict)


def script_failure(flow: LoginFlow) -> dict[str, Any] | None:
    state = flow.state.get("script")
    return state.get("failure") if isinstance(state, dict) else None


def script_flow_begin(
    request: HttpRequest, flow: LoginFlow, *, application: Any, script: str, steps: list[list[str]], session: Any
) -> None:
    """Make ``flow`` scripted and run the script up to its first step (or its end)."""
    state: dict[str, Any] = {"script": script, "steps": steps, "journal": [], "logged": 0}
    state["context"] = _context(request, flow, application)
    if session is not None:
        state["sso"] = {"user": str(session.user.pk), "methods": list(session.methods)}
    flow.state["script"] = state
    flow.steps = []
    flow.step_index = 0
    script_flow_advance(request, flow, application=application)


def script_flow_advance(request: HttpRequest, flow: LoginFlow, *, application: Any = None) -> Decision:
    """Run the script over the flow's journal and apply what it decides to ``flow`` (the caller saves it)."""
    from apps.authn.services.flows import application_for

    state = flow.state["script"]
    application = application or application_for(flow.organization, flow.client_id)
    sso = state.get("sso") or {}
    decision = script_evaluate(
        script=state["script"],
        state=state,
        steps=state["steps"],
        host=HostContext(organization=flow.organization, application=application),
        context=state["context"],
        sso_user_id=sso.get("user", ""),
        sso_methods=tuple(sso.get("methods", ())),
    )
    state.pop("current", None)
    if decision.kind == "step":
        state["current"] = {"step": decision.step, "onFail": decision.on_fail, **decision.params}
        flow.steps = [*flow.steps, decision.options]
    elif decision.kind == "done":
        if flow.user is None and sso.get("user"):
            flow.user = _sso_user(flow, sso["user"])
        if flow.user is None:
            decision = Decision(
                kind="failed", reason="config", message="The script ended without identifying the user."
            )
        else:
            state["cookies"] = _cookies_clean(decision.cookies)
            _cookies_queue(request, flow, state["cookies"])
            script_pass_grant(request, client_id=flow.client_id, user=flow.user)
    if decision.kind == "failed":
        _record_failure(flow, decision)
    return decision


def _sso_user(flow: LoginFlow, user_id: str) -> Any:
    from apps.users.models import User

    return User.objects.for_org(flow.organization).filter(pk=user_id).first()


def _record_failure(flow: LoginFlow, decision: Decision) -> None:
    flow.state["script"]["failure"] = {
        "reason": decision.reason,
        "message": decision.user_message,
        "redirect": decision.redirect,
        "params": {str(k)[:64]: str(v)[:300] for k, v in list(decision.params.items())[:10]}
        if decision.reason == "send_error"
        else {},
    }
    logger.warning(
        "conditional authentication failed closed for %s in %s: %s (%s)",
        flow.client_id,
        flow.organization.handle,
        decision.message,
        decision.reason,
    )
    with transaction.atomic():
        auth_event(
            "authentication.script_failed",
            user=flow.user,
            organization=flow.organization,
            data={"application": flow.client_id, "reason": decision.reason, "detail": decision.message[:300]},
        )


def script_step_completed(request: HttpRequest, flow: LoginFlow, *, authenticator_id: str, user: Any) -> None:
    """The current step succeeded: journal it and let the script pick what follows."""
    state = flow.state["script"]
    current = state.get("current") or {}
    federated = (flow.state.get("federated") or {}).get(str(flow.step_index))  # apps.idp's record of this step
    journal_step_record(
        state,
        step=int(current.get("step") or 0),
        options=current.get("authenticationOptions"),
        ok=True,
        user_id=str(user.pk) if user is not None else "",
        authenticator=authenticator_id,
        federated=federated if isinstance(federated, dict) and authenticator_id.startswith("federated:") else None,
    )
    script_flow_advance(request, flow)


def script_step_failed(request: HttpRequest, flow: LoginFlow, *, authenticator_id: str, reason: str, user: Any) -> bool:
    """The current step failed. With an ``onFail`` callback the script decides (True); else the user retries."""
    state = flow.state["script"]
    current = state.get("current") or {}
    if not current.get("onFail"):
        return False
    journal_step_record(
        state,
        step=int(current.get("step") or 0),
        options=current.get("authenticationOptions"),
        ok=False,
        user_id=str(user.pk) if user is not None else "",
        authenticator=authenticator_id,
        reason=reason,
    )
    flow.step_index += 1  # the failed step is over; the script may ask for it again
    script_flow_advance(request, flow)
    return True


def script_failure_redirect(failure: dict[str, Any]) -> str:
    """``sendError(url, params)``: the URL with the params, when it is an http(s) URL or a path; else ""."""
    url = failure.get("redirect") or ""
    parts = urlsplit(url)
    if not url or (parts.scheme not in ("http", "https") and not (url.startswith("/") and not url.startswith("//"))):
        return ""
    params = failure.get("params") or {}
    if not params:
        return url
    return f"{url}{'&' if parts.query else '?'}{urlencode(params)}"


# --- the one-time pass for the authorize endpoint ----------------------------------------------------


def script_pass_grant(request: HttpRequest, *, client_id: str, user: Any) -> None:
    if not client_id or not hasattr(request, "session"):
        return
    passes = {
        key: value
        for key, value in (request.session.get(PASS_KEY) or {}).items()
        if isinstance(value, list) and len(value) == 2 and value[1] > time.time()
    }
    passes[client_id] = [str(user.pk), int(time.time()) + PASS_SECONDS]
    request.session[PASS_KEY] = dict(list(passes.items())[-10:])


def script_pass_consume(request: HttpRequest, *, client_id: str, user: Any) -> bool:
    """True once after the script of ``client_id`` completed for ``user`` in this browser."""
    passes = request.session.get(PASS_KEY) if hasattr(request, "session") else None
    if not isinstance(passes, dict) or client_id not in passes:
        return False
    user_id, expires = passes.pop(client_id)
    request.session[PASS_KEY] = passes
    return user_id == str(user.pk) and expires > time.time()


# --- cookies set by a script ------------------------------------------------------------------------


def _cookies_clean(cookies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for cookie in cookies[:5]:
        name = str(cookie.get("name") or "")
        if not name or len(name) > 64 or not set(name) <= COOKIE_NAME_CHARS or name in _hidden_cookies():
            continue
        max_age = cookie.get("maxAge")
        max_age = int(max_age) if isinstance(max_age, int | float) and 0 <= max_age <= 400 * 86400 else None
        cleaned.append({"name": name, "value": str(cookie.get("value") or "")[:1024], "maxAge": max_age})
    return cleaned


def _cookies_queue(request: HttpRequest, flow: LoginFlow, cookies: list[dict[str, Any]]) -> None:
    if cookies:
        signer = signing.Signer(salt=f"{COOKIE_SALT}:{flow.organization.pk}")
        queued = getattr(request, "_authn_script_cookies", [])
        queued.extend({**cookie, "value": signer.sign(cookie["value"])} for cookie in cookies)
        request._authn_script_cookies = queued


def script_cookies_apply(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Set the cookies a finished script asked for (signed, HttpOnly, SameSite=Lax) on this response."""
    for cookie in getattr(request, "_authn_script_cookies", ()):
        response.set_cookie(
            cookie["name"],
            cookie["value"],
            max_age=cookie["maxAge"],
            httponly=True,
            secure=request.is_secure(),
            samesite="Lax",
        )
    return response
