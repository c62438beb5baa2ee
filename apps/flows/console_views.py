"""Console: the Flow Builder (list of flow types with their switches, the canvas, versions, "try it").

Views parse and delegate to ``apps.flows.services``; the canvas (static/flows/builder.js) posts the
steps in the WSO2 wire format to the JSON endpoints below and renders the messages they return."""

from __future__ import annotations

import difflib
import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from apps.console.access import console_access, console_view
from apps.console.rendering import console_render
from apps.flows.rendering import flow_nodes
from apps.flows.services import (
    FlowError,
    flow_config_get,
    flow_config_update,
    flow_default_steps,
    flow_execute,
    flow_get,
    flow_meta,
    flow_publish,
    flow_rollback,
    flow_save,
    flow_validate,
    flow_versions,
)

SECTION = "flows"
VIEW_SCOPE = "internal_flow_mgt_view"
UPDATE_SCOPE = "internal_flow_mgt_update"
TRY_SESSION_KEY = "flows_try"
MAX_BODY = 1_000_000  # bytes of flow JSON the canvas may post

# URL slug -> flow type
SLUGS = {
    "registration": "REGISTRATION",
    "password-recovery": "PASSWORD_RECOVERY",
    "invited-user-registration": "INVITED_USER_REGISTRATION",
}
NAMES = {
    "REGISTRATION": _lazy("Self-registration"),
    "PASSWORD_RECOVERY": _lazy("Password recovery"),
    "INVITED_USER_REGISTRATION": _lazy("Invited user registration"),
}
DESCRIPTIONS = {
    "REGISTRATION": _lazy("How new users create an account from the sign-in page."),
    "PASSWORD_RECOVERY": _lazy("How users who forgot their password set a new one."),
    "INVITED_USER_REGISTRATION": _lazy("How users invited by an administrator set up their account."),
}
COMPLETION_LABELS = {
    "isAutoLoginEnabled": _lazy("Sign the user in at the end"),
    "isEmailVerificationEnabled": _lazy("Ask new users to verify their email address"),
    "isAccountLockOnCreationEnabled": _lazy("Lock new accounts until verified"),
    "isFlowCompletionNotificationEnabled": _lazy("Send a confirmation email at the end"),
}


def _flow_type(slug: str) -> str:
    flow_type = SLUGS.get(slug)
    if flow_type is None:
        raise Http404
    return flow_type


def _slug(flow_type: str) -> str:
    return next(slug for slug, value in SLUGS.items() if value == flow_type)


def _error_messages(exc: FlowError) -> list[dict[str, Any]]:
    found = getattr(exc, "messages", None) or getattr(exc, "errors", None)
    if isinstance(found, list) and found:
        return [m for m in found if isinstance(m, dict)]
    item: dict[str, Any] = {"code": exc.code, "message": exc.message, "description": exc.description}
    for key in ("stepId", "componentId"):
        value = getattr(exc, key, None) or getattr(exc, key.replace("Id", "_id"), None)
        if value:
            item[key] = value
    return [item]


def _steps_from_body(request: HttpRequest) -> list[Any] | None:
    if len(request.body) > MAX_BODY:
        return None
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return None
    steps = body.get("steps") if isinstance(body, dict) else None
    return steps if isinstance(steps, list) else None


def _bad_body() -> JsonResponse:
    message = _("The canvas sent something that is not a flow.")
    return JsonResponse({"ok": False, "messages": [{"code": "FM-10012", "message": message}]}, status=400)


def _completion_rows(flow_type: str, config: dict[str, Any], meta: dict[str, Any]) -> list[dict[str, Any]]:
    keys = meta.get("supportedFlowCompletionConfigs") or list((config.get("flowCompletionConfigs") or {}).keys())
    values = config.get("flowCompletionConfigs") or {}
    return [
        {"key": key, "label": COMPLETION_LABELS.get(key, key), "on": str(values.get(key, "false")).lower() == "true"}
        for key in keys
    ]


def _builder_texts() -> dict[str, str]:
    return {
        "add": _("Add"),
        "remove": _("Remove"),
        "moveUp": _("Move up"),
        "moveDown": _("Move down"),
        "saved": _("Draft saved."),
        "valid": _("The flow is valid."),
        "end": _("End (complete the flow)"),
        "selectFirst": _("Select a step or a form first."),
        "importFailed": _("That file is not a flow export."),
        "imported": _("Imported: save or publish to keep it."),
        "notConnected": _("(not connected)"),
        "step": _("Step"),
        "id": _("Id"),
        "type": _("Type"),
        "label": _("Label"),
        "text": _("Text"),
        "placeholder": _("Placeholder"),
        "hint": _("Help text"),
        "required": _("Required"),
        "attribute": _("Attribute"),
        "variant": _("Variant"),
        "minLength": _("Minimum length"),
        "maxLength": _("Maximum length"),
        "otpLength": _("Code length"),
        "action": _("When pressed"),
        "goNext": _("Go to a step"),
        "runExecutor": _("Run an executor"),
        "executor": _("Executor"),
        "next": _("Then go to"),
        "src": _("Image URL"),
        "alt": _("Alternative text"),
        "resend": _("Sends the code again"),
        "publishing": _("Publishing…"),
        "saving": _("Saving…"),
        "problems": _("Fix the problems listed under Validation first."),
        "other": _("Other (type the identifier)"),
        "emptyView": _("Drop components here"),
        "emptyForm": _("Drop fields and buttons here"),
    }


def _palette() -> dict[str, list[dict[str, str]]]:
    """What the palette offers; builder.js knows how to make each key (and expands widgets)."""
    return {
        "widgets": [
            {"key": "IDENTIFIER_PASSWORD", "label": _("Username and password"), "executor": "PasswordOnboardExecutor"},
            {"key": "EMAIL_OTP", "label": _("Email OTP verification"), "executor": "EmailOTPExecutor"},
            {"key": "SMS_OTP", "label": _("SMS OTP verification"), "executor": "SMSOTPExecutor"},
            {"key": "NEW_PASSWORD", "label": _("Set a new password"), "executor": "PasswordProvisioningExecutor"},
        ],
        "steps": [
            {"key": "STEP:VIEW", "label": _("View (a page)")},
            {"key": "STEP:EXECUTION", "label": _("Execution (runs an executor)")},
            {"key": "STEP:REDIRECTION", "label": _("Redirection (external sign-up)")},
            {"key": "STEP:END", "label": _("End")},
        ],
        "components": [
            {"key": "FORM", "label": _("Form")},
            {"key": "INPUT:TEXT", "label": _("Text input")},
            {"key": "INPUT:EMAIL", "label": _("Email input")},
            {"key": "INPUT:PASSWORD", "label": _("Password input")},
            {"key": "INPUT:TELEPHONE", "label": _("Telephone input")},
            {"key": "INPUT:NUMBER", "label": _("Number input")},
            {"key": "INPUT:DATE", "label": _("Date input")},
            {"key": "INPUT:CHECKBOX", "label": _("Checkbox")},
            {"key": "INPUT:OTP", "label": _("One-time code input")},
            {"key": "BUTTON:PRIMARY", "label": _("Primary button")},
            {"key": "BUTTON:SECONDARY", "label": _("Secondary button")},
            {"key": "BUTTON:TEXT", "label": _("Text button")},
            {"key": "TYPOGRAPHY:H2", "label": _("Heading")},
            {"key": "TYPOGRAPHY:BODY1", "label": _("Paragraph")},
            {"key": "RICH_TEXT", "label": _("Rich text")},
            {"key": "DIVIDER", "label": _("Divider")},
            {"key": "IMAGE", "label": _("Image")},
            {"key": "CAPTCHA", "label": _("Captcha")},
        ],
    }


# --- list, switches and completion options ---------------------------------------------------


@console_view(VIEW_SCOPE)
def flow_list_view(request: HttpRequest) -> HttpResponse:
    rows = []
    for slug, flow_type in SLUGS.items():
        config = flow_config_get(request.organization, flow_type)
        meta = flow_meta(request.organization, flow_type)
        flow = flow_get(request.organization, flow_type)
        rows.append(
            {
                "slug": slug,
                "flow_type": flow_type,
                "name": NAMES[flow_type],
                "description": DESCRIPTIONS[flow_type],
                "enabled": bool(config.get("isEnabled")),
                "completion": _completion_rows(flow_type, config, meta),
                "version": flow.get("version"),
                "inherited": bool(flow.get("inheritedFrom")),
            }
        )
    can_update = console_access(request).can(UPDATE_SCOPE)
    return console_render(request, "flows/console/list.html", {"rows": rows, "can_update": can_update}, section=SECTION)


@require_POST
@console_view(UPDATE_SCOPE)
def flow_config_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The enabled switch and the completion options of one flow type (a plain form)."""
    flow_type = _flow_type(slug)
    meta = flow_meta(request.organization, flow_type)
    data: dict[str, Any] = {"flowType": flow_type}
    if "isEnabled" in request.POST or request.POST.get("section") == "all":
        data["isEnabled"] = request.POST.get("isEnabled") in ("on", "true", "1")
    if request.POST.get("section") == "all":
        data["flowCompletionConfigs"] = {
            key: "true" if request.POST.get(key) in ("on", "true", "1") else "false"
            for key in meta.get("supportedFlowCompletionConfigs") or []
        }
    try:
        config = flow_config_update(actor=request.user, organization=request.organization, data=data)
    except FlowError as exc:
        messages.error(request, exc.description or exc.message)
    else:
        state = _("enabled") if config.get("isEnabled") else _("disabled")
        messages.success(request, _("%(name)s saved (%(state)s).") % {"name": NAMES[flow_type], "state": state})
    back = request.POST.get("back", "")
    if back == "builder":
        return redirect("console:flow-builder", slug=slug)
    return redirect("console:flow-list")


# --- the canvas ---------------------------------------------------------------------------------


@console_view(VIEW_SCOPE)
def flow_builder_view(request: HttpRequest, slug: str) -> HttpResponse:
    flow_type = _flow_type(slug)
    organization = request.organization
    flow = flow_get(organization, flow_type)  # what end users get now
    draft = flow_get(organization, flow_type, draft=True)  # what the canvas edits
    meta = flow_meta(organization, flow_type)
    config = flow_config_get(organization, flow_type)
    builder = {
        "flowType": flow_type,
        "steps": draft.get("steps") or [],
        "meta": meta,
        "version": flow.get("version"),
        "canUpdate": console_access(request).can(UPDATE_SCOPE),
        "i18n": _builder_texts(),
        "palette": _palette(),
        "urls": {
            "validate": reverse("console:flow-validate", kwargs={"slug": slug}),
            "save": reverse("console:flow-save", kwargs={"slug": slug}),
            "publish": reverse("console:flow-publish", kwargs={"slug": slug}),
            "try": reverse("console:flow-try", kwargs={"slug": slug}),
            "versions": reverse("console:flow-versions", kwargs={"slug": slug}),
        },
    }
    context = {
        "slug": slug,
        "flow_type": flow_type,
        "name": NAMES[flow_type],
        "flow": flow,
        "is_draft": bool(draft.get("isDraft")),
        "config": config,
        "enabled": bool(config.get("isEnabled")),
        "builder": builder,
        "can_update": builder["canUpdate"],
    }
    return console_render(request, "flows/console/builder.html", context, section=SECTION)


@require_POST
@console_view(VIEW_SCOPE)
def flow_validate_view(request: HttpRequest, slug: str) -> JsonResponse:
    """Live validation while editing: the messages of the whole-graph check, nothing stored."""
    flow_type = _flow_type(slug)
    steps = _steps_from_body(request)
    if steps is None:
        return _bad_body()
    found = flow_validate(request.organization, flow_type, steps)
    return JsonResponse({"ok": not found, "messages": found})


@require_POST
@console_view(UPDATE_SCOPE)
def flow_save_view(request: HttpRequest, slug: str) -> JsonResponse:
    """Save the canvas as the draft (validated; the live flow does not change)."""
    flow_type = _flow_type(slug)
    steps = _steps_from_body(request)
    if steps is None:
        return _bad_body()
    try:
        saved = flow_save(actor=request.user, organization=request.organization, flow_type=flow_type, steps=steps)
    except FlowError as exc:
        return JsonResponse({"ok": False, "messages": _error_messages(exc)}, status=400)
    return JsonResponse({"ok": True, "steps": saved.get("steps", steps), "message": _("Draft saved.")})


@require_POST
@console_view(UPDATE_SCOPE)
def flow_publish_view(request: HttpRequest, slug: str) -> JsonResponse:
    """Save the canvas and publish it as a new immutable version (what end users get from now on)."""
    flow_type = _flow_type(slug)
    steps = _steps_from_body(request)
    if steps is None:
        return _bad_body()
    organization = request.organization
    try:
        flow_save(actor=request.user, organization=organization, flow_type=flow_type, steps=steps)
        version = flow_publish(actor=request.user, organization=organization, flow_type=flow_type)
    except FlowError as exc:
        return JsonResponse({"ok": False, "messages": _error_messages(exc)}, status=400)
    return JsonResponse({"ok": True, "version": version, "message": _("Published as version %(v)s.") % {"v": version}})


# --- versions -------------------------------------------------------------------------------------


def _plain_numbers(value: Any) -> Any:
    """80.0 and 80 are the same canvas position: do not show them as a change."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    return value


def _pretty(steps: Any) -> list[str]:
    return json.dumps(_plain_numbers(steps), indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def _diff_lines(old: Any, new: Any, *, old_name: str, new_name: str) -> list[dict[str, str]]:
    lines = []
    for line in difflib.unified_diff(_pretty(old), _pretty(new), old_name, new_name, lineterm="", n=3):
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        lines.append({"kind": kind, "text": line})
    return lines


@console_view(VIEW_SCOPE)
def flow_versions_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Published versions, newest first; ``?diff=N`` compares version N with the one before it
    (or, for the newest, with the current draft when one differs)."""
    flow_type = _flow_type(slug)
    organization = request.organization
    versions = sorted(flow_versions(organization, flow_type), key=lambda row: row["version"], reverse=True)
    for row in versions:
        row["published_on"] = parse_datetime(str(row.get("publishedAt") or ""))
    current = flow_get(organization, flow_type, draft=True)
    by_number = {row["version"]: row for row in versions}
    diff: list[dict[str, str]] = []
    diff_title = ""
    chosen = request.GET.get("diff", "")
    default_steps = flow_default_steps(flow_type)
    if chosen == "draft":
        live = versions[0] if versions else None
        diff = _diff_lines(
            live["steps"] if live else default_steps,
            current.get("steps") or [],
            old_name=f"v{live['version']}" if live else "default",
            new_name="draft",
        )
        diff_title = (
            _("Draft compared with version %(v)s") % {"v": live["version"]}
            if live
            else _("Draft compared with the default flow")
        )
    elif chosen.isdigit() and int(chosen) in by_number:
        number = int(chosen)
        older = [row for row in versions if row["version"] < number]
        previous = older[0] if older else None
        # The first version is compared with the flow it replaced: the shipped default.
        diff = _diff_lines(
            previous["steps"] if previous else default_steps,
            by_number[number]["steps"],
            old_name=f"v{previous['version']}" if previous else "default",
            new_name=f"v{number}",
        )
        diff_title = (
            _("Version %(v)s compared with version %(p)s") % {"v": number, "p": previous["version"]}
            if previous
            else _("Version %(v)s compared with the default flow") % {"v": number}
        )
    context = {
        "slug": slug,
        "name": NAMES[flow_type],
        "versions": versions,
        "live_version": versions[0]["version"] if versions else None,
        "diff": diff,
        "diff_title": diff_title,
        "can_update": console_access(request).can(UPDATE_SCOPE),
    }
    return console_render(request, "flows/console/versions.html", context, section=SECTION)


@require_POST
@console_view(UPDATE_SCOPE)
def flow_rollback_view(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    flow_type = _flow_type(slug)
    try:
        new_version = flow_rollback(
            actor=request.user, organization=request.organization, flow_type=flow_type, version=version
        )
    except FlowError as exc:
        messages.error(request, exc.description or exc.message)
    else:
        messages.success(
            request,
            _("Version %(old)s is live again, published as version %(new)s.") % {"old": version, "new": new_version},
        )
    return redirect("console:flow-versions", slug=slug)


@require_GET
@console_view(VIEW_SCOPE)
def flow_export_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The flow as the JSON that ``PUT /api/server/v1/flow`` (and the Builder's import) accepts."""
    flow_type = _flow_type(slug)
    flow = flow_get(request.organization, flow_type)
    body = json.dumps({"flowType": flow_type, "steps": flow.get("steps") or []}, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{slug}-flow.json"'
    return response


# --- try it (sandbox) -------------------------------------------------------------------------------


@require_POST
@console_view(UPDATE_SCOPE)
def flow_try_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Run the saved draft in a sandbox (no user created, nothing sent) and answer with the view as
    the end user would see it, rendered by the same renderer; its forms post back here (htmx)."""
    flow_type = _flow_type(slug)
    flow_id = request.POST.get("flowId", "")[:100]
    action_id = request.POST.get("actionId", "")[:200]
    if flow_id:
        inputs = {
            key[:300]: request.POST.get(key, "")[:4096]
            for key in list(request.POST.keys())[:60]
            if key not in ("csrfmiddlewaretoken", "flowId", "actionId")
        }
        data: dict[str, Any] = {"flowId": flow_id, "inputs": inputs}
        if action_id:
            data["actionId"] = action_id
    else:
        data = {"flowType": flow_type}
    error = ""
    last = request.session.get(TRY_SESSION_KEY) if flow_id else None
    try:
        response = flow_execute(organization=request.organization, data=data, request=request, sandbox=True)
    except FlowError as exc:
        error = f"{exc.code}: {exc.description or exc.message}"
        # Show the view again with the message (the sandbox flow goes on when it still exists).
        same = isinstance(last, dict) and last.get("flowId") == flow_id and exc.code != "FE-60001"
        response = last["response"] if same else {}
    if response.get("flowStatus") == "INCOMPLETE":
        kept = json.loads(json.dumps(response))
        kept.get("data", {}).pop("additionalData", None)  # the sandbox's would-be messages carry codes
        request.session[TRY_SESSION_KEY] = {"flowId": response.get("flowId"), "response": kept}
    payload = response.get("data") if isinstance(response.get("data"), dict) else {}
    additional = payload.get("additionalData") if isinstance(payload.get("additionalData"), dict) else {}
    context = {
        "nodes": flow_nodes(payload.get("components")),
        "flow_id": response.get("flowId") or flow_id,
        "form_action": request.path,
        "hx_post": request.path,
        "hx_target": "#try-body",
        "error": error,
        "flow_messages": [m for m in payload.get("messages") or [] if isinstance(m, dict)],
        "sandbox_messages": additional.get("sandboxMessages") or [],
        "status": response.get("flowStatus", ""),
        "step_type": response.get("type", ""),
        "complete": response.get("flowStatus") == "COMPLETE",
        "raw": json.dumps(response, indent=2, ensure_ascii=False) if response else "",
    }
    return render(request, "flows/console/_try.html", context)
