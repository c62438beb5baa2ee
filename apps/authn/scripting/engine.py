"""Replay a login's journal through its script and decide what happens next.

``script_evaluate`` runs the script (each run in a fresh isolate, see
``sandbox``) until it stops at something the portal must do: show a step,
finish, or fail. Host calls are answered in between and journalled, then the
script runs again, so one request costs 1 + (new host calls) executions.
Role and group checks on the login's own subjects are answered inside the
isolate from data passed in, and cost no extra execution.

Journal entries (JSON, stored in the login flow):
``{"kind": "step", "step": n, "options": <as the script gave them>, "ok": bool,
"subject": <user id>, "authenticator": id, "idp": name, "sso": bool}`` and
``{"kind": "call", "fn": name, "args": <JSON text>, "result": <JSON>}``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.authn.scripting.bridge import HOST_FUNCTIONS, HostContext, bridge_call, subject_entry
from apps.authn.scripting.sandbox import ScriptFailure, sandbox_run

logger = logging.getLogger("apps.authn.scripting")
script_log = logging.getLogger("apps.authn.scripting.log")

MAX_STEP_EXECUTIONS = 10  # completed executeStep calls per login (a script that loops over steps ends)
MAX_RESULT_BYTES = 256 * 1024
# WSO2 authenticator names a script may use in authenticationOptions, and ours.
WSO2_AUTHENTICATORS = {
    "BasicAuthenticator": "basic",
    "IdentifierExecutor": "identifier_first",
    "totp": "totp",
    "email-otp-authenticator": "email_otp",
    "sms-otp-authenticator": "sms_otp",
    "FIDOAuthenticator": "passkey",
}


@dataclass
class Decision:
    kind: str  # "step": show ``step`` with ``options``; "done"; "failed"
    step: int = 0
    options: list[str] = field(default_factory=list)
    on_fail: bool = False
    reason: str = ""  # failed: timeout, memory, syntax, error, fail, send_error, limit, config
    message: str = ""  # failed: for the log and the audit row (never credentials)
    user_message: str = ""  # failed: what the portal shows
    redirect: str = ""  # send_error with a URL
    params: dict[str, Any] = field(default_factory=dict)
    cookies: list[dict[str, Any]] = field(default_factory=list)
    runs: int = 0


def _failed(reason: str, message: str, *, user_message: str = "", **more: Any) -> Decision:
    return Decision(kind="failed", reason=reason, message=message, user_message=user_message, **more)


def step_options(step: list[str], wanted: Any) -> list[str]:
    """The authenticators of a configured step that ``authenticationOptions`` keeps (all when not given)."""
    if not wanted:
        return list(step)
    keep: set[str] = set()
    for option in wanted if isinstance(wanted, list) else []:
        if not isinstance(option, dict):
            continue
        idp = option.get("idp")
        name = option.get("authenticator")
        if isinstance(idp, str) and idp and idp != "LOCAL":
            keep.add(f"federated:{idp}")
        elif isinstance(name, str):
            keep.add(WSO2_AUTHENTICATORS.get(name, name))
    return [item for item in step if item in keep]


def journal_step_record(
    state: dict[str, Any],
    *,
    step: int,
    options: Any,
    ok: bool,
    user_id: str = "",
    authenticator: str = "",
    reason: str = "",
    sso: bool = False,
    federated: dict[str, Any] | None = None,
) -> None:
    """``federated``: ``{"idp", "subject", "claims"}`` of a federated step, whose subject is that identity."""
    idp = authenticator.partition(":")[2] if authenticator.startswith("federated:") else "LOCAL"
    entry: dict[str, Any] = {"kind": "step", "step": step, "options": options, "ok": ok, "subject": user_id or None}
    entry.update({"authenticator": authenticator, "idp": idp})
    if federated:
        claims = federated.get("claims") if isinstance(federated.get("claims"), dict) else {}
        entry["federated"] = {"idp": str(federated.get("idp", idp)), "subject": str(federated.get("subject", ""))}
        entry["federated"]["claims"] = {
            str(k)[:200]: v for k, v in list(claims.items())[:50] if isinstance(v, str | int | float | bool)
        }
    if reason:
        entry["reason"] = reason
    if sso:
        entry["sso"] = True
    state.setdefault("journal", []).append(entry)


def _subjects(state: dict[str, Any], host: HostContext, cache: dict[str, Any]) -> dict[str, Any]:
    from apps.users.models import User

    wanted = {
        entry["subject"] for entry in state.get("journal", []) if entry.get("kind") == "step" and entry.get("subject")
    }
    missing = wanted - set(cache)
    if missing:
        users = User.objects.for_org(host.organization).filter(pk__in=missing).select_related("organization")
        for user in users:
            cache[str(user.pk)] = subject_entry(user, application=host.application)
    return {key: cache[key] for key in wanted if key in cache}


def _emit_logs(state: dict[str, Any], logs: list[Any], host: HostContext) -> None:
    """Replays print the same lines again: only lines past the ones already printed in this login are logged."""
    already = int(state.get("logged", 0))
    levels = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "error": logging.ERROR}
    application = getattr(host.application, "client_id", "")
    for level, text in logs[already:]:
        script_log.log(levels.get(level, logging.INFO), "[%s %s] %s", host.organization.handle, application, text)
    state["logged"] = max(already, len(logs))


def script_evaluate(
    *,
    script: str,
    state: dict[str, Any],
    steps: list[list[str]],
    host: HostContext,
    context: dict[str, Any],
    sso_user_id: str = "",
    sso_methods: tuple[str, ...] = (),
) -> Decision:
    """Run ``script`` over the journal in ``state`` (updated in place) until the portal has something to do.

    ``sso_methods``: authenticators the browser's SSO session already passed; a
    step they satisfy completes at once with ``sso_user_id`` as its subject."""
    cache: dict[str, Any] = {}
    runs = 0
    journal: list[dict[str, Any]] = state.setdefault("journal", [])
    max_calls = settings.IAM_SCRIPT_MAX_HOST_CALLS
    while True:
        runs += 1
        payload = {
            "context": context,
            "journal": journal,
            "subjects": _subjects(state, host, cache),
            "stepCount": len(steps),
            "cookies": context.get("request", {}).get("cookies", {}),
        }
        try:
            answer = sandbox_run(script, payload)
        except ScriptFailure as exc:
            line = f" (line {exc.line})" if exc.line else ""
            return _failed(exc.reason, f"{exc.message}{line}", runs=runs)
        _emit_logs(state, answer.get("logs") or [], host)
        outcome = answer.get("outcome") or {}
        kind = outcome.get("kind")
        cursor = int(outcome.get("cursor") or 0)
        if kind in ("call", "step") and cursor < len(journal):
            del journal[cursor:]  # the script took another path than last time: forget what followed
        if kind == "done":
            return Decision(kind="done", cookies=answer.get("cookies") or [], runs=runs)
        if kind == "call":
            fn = outcome.get("fn")
            if fn not in HOST_FUNCTIONS:
                return _failed("error", f"Unknown host function {str(fn)[:64]}.", runs=runs)
            if sum(1 for entry in journal if entry.get("kind") == "call") >= max_calls:
                return _failed("limit", f"The script made more than {max_calls} server calls in one login.", runs=runs)
            args_text = outcome.get("args") or "[]"
            result = bridge_call(host, fn, json.loads(args_text))
            if len(json.dumps(result)) > MAX_RESULT_BYTES:
                return _failed("limit", f"The answer of {fn} is larger than {MAX_RESULT_BYTES} bytes.", runs=runs)
            journal.append({"kind": "call", "fn": fn, "args": args_text, "result": result})
            continue
        if kind == "step":
            number = int(outcome.get("step") or 0)
            if sum(1 for entry in journal if entry.get("kind") == "step") >= MAX_STEP_EXECUTIONS:
                return _failed(
                    "limit", f"The script ran more than {MAX_STEP_EXECUTIONS} steps in one login.", runs=runs
                )
            options = step_options(steps[number - 1], outcome.get("options"))
            if not options:
                return _failed(
                    "config",
                    f"executeStep({number}): none of the authentication options is in step {number}.",
                    runs=runs,
                )
            satisfied = [item for item in options if item in sso_methods]
            if satisfied and sso_user_id:
                journal_step_record(
                    state,
                    step=number,
                    options=outcome.get("options"),
                    ok=True,
                    user_id=sso_user_id,
                    authenticator=satisfied[0],
                    sso=True,
                )
                continue
            return Decision(
                kind="step",
                step=number,
                options=options,
                on_fail=bool(outcome.get("onFail")),
                params={"authenticationOptions": outcome.get("options"), "authenticatorParams": outcome.get("params")},
                runs=runs,
            )
        if kind == "fail":
            params = outcome.get("params") if isinstance(outcome.get("params"), dict) else {}
            text = str(params.get("errorMessage") or params.get("errorCode") or "")[:300]
            return _failed("fail", f"fail() {text}".strip(), user_message=text, params=params, runs=runs)
        if kind == "sendError":
            params = outcome.get("params") if isinstance(outcome.get("params"), dict) else {}
            text = str(params.get("errorMessage") or params.get("errorMsg") or params.get("message") or "")[:300]
            return _failed(
                "send_error",
                f"sendError() {text}".strip(),
                user_message=text,
                redirect=str(outcome.get("url") or ""),
                params=params,
                runs=runs,
            )
        if kind == "error":
            line = outcome.get("line")
            where = f" (line {line})" if line else ""
            return _failed("error", f"{str(outcome.get('message') or 'error')[:300]}{where}", runs=runs)
        return _failed("error", "The script bridge gave an unknown answer.", runs=runs)
