"""Authentication sequences: an application's ordered steps, each a set of allowed authenticators."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.authn.authenticators import authenticator_get
from apps.authn.models import AuthSequence
from apps.core.audit import audit_record
from apps.core.errors import InvalidInput

DEFAULT_STEPS: list[list[str]] = [["basic"]]
MAX_STEPS = 5


def sequence_for(application_id: Any) -> list[list[str]]:
    """The steps of an application (by primary key); ``[["basic"]]`` without a row or an application."""
    if application_id is None:
        return [list(step) for step in DEFAULT_STEPS]
    row = AuthSequence.objects.filter(application_id=application_id).only("steps").first()
    return [list(step) for step in row.steps] if row is not None and row.steps else [list(s) for s in DEFAULT_STEPS]


def steps_clean(steps: Any) -> list[list[str]]:
    """Validate a sequence: 1-5 non-empty steps of known authenticators; the first step must identify the user."""
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise InvalidInput("AUT-60001", _("A sequence has from 1 to %(n)d steps.") % {"n": MAX_STEPS}, field="steps")
    cleaned: list[list[str]] = []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, list) or not step or not all(isinstance(item, str) for item in step):
            raise InvalidInput("AUT-60002", _("Step %(n)d needs at least one authenticator.") % {"n": number})
        for item in step:
            if authenticator_get(item) is None:
                raise InvalidInput("AUT-60003", _("Unknown authenticator %(a)s.") % {"a": item[:64]}, field="steps")
        cleaned.append(list(dict.fromkeys(step)))
    if not any(authenticator_get(item).can_identify for item in cleaned[0]):
        raise InvalidInput(
            "AUT-60004", _("The first step must identify the user (password or federated sign-in)."), field="steps"
        )
    return cleaned


def script_clean(script: Any) -> str:
    """A conditional-authentication script that parses (checked in the sandbox, nothing runs); "" stays ""."""
    from django.conf import settings

    from apps.authn.scripting.sandbox import script_syntax_error

    if not isinstance(script, str):
        raise InvalidInput("AUT-60005", _("The script must be text."), field="script")
    script = script.replace("\r\n", "\n")
    if not script.strip():
        return ""
    if len(script) > settings.IAM_SCRIPT_MAX_LENGTH:
        message = _("The script is longer than %(n)d characters.") % {"n": settings.IAM_SCRIPT_MAX_LENGTH}
        raise InvalidInput("AUT-60005", message, field="script")
    error = script_syntax_error(script)
    if error is not None:
        if error.line:
            message = _("Syntax error on line %(line)d: %(error)s") % {"line": error.line, "error": error.message}
        else:
            message = _("Syntax error: %(error)s") % {"error": error.message}
        raise InvalidInput("AUT-60006", message, field="script")
    if "onLoginRequest" not in script:
        raise InvalidInput("AUT-60007", _("The script must define onLoginRequest(context)."), field="script")
    return script


@transaction.atomic
def sequence_set(
    *, actor: Any, application: Any, steps: Any = None, script: Any = None, script_enabled: bool | None = None
) -> AuthSequence:
    """Set the steps and/or the conditional-authentication script (``None``: keep what is stored).

    A script with a syntax error is refused with its line number; an enabled script must not be empty."""
    row = AuthSequence.objects.select_for_update().filter(application=application).first()
    values: dict[str, Any] = {}
    if steps is not None or row is None:
        values["steps"] = steps_clean(steps if steps is not None else DEFAULT_STEPS)
    if script is not None:
        values["script"] = script_clean(script)
    if script_enabled is not None:
        values["script_enabled"] = bool(script_enabled)
    enabled = values.get("script_enabled", row.script_enabled if row is not None else False)
    text = values.get("script", row.script if row is not None else "")
    if enabled and not text:
        raise InvalidInput("AUT-60008", _("Write a script before enabling conditional authentication."), field="script")
    row, _created = AuthSequence.objects.update_or_create(application=application, defaults=values)
    data: dict[str, Any] = {"steps": row.steps}
    if "script" in values or "script_enabled" in values:
        data["script_enabled"] = row.script_enabled
        data["script_length"] = len(row.script)
    audit_record(
        actor=actor,
        action="application.auth_sequence.update",
        target_type="application",
        target_id=application.pk,
        organization=application.organization,
        data=data,
    )
    return row


def steps_missing(steps: list[list[str]], done: list[str] | set[str]) -> list[list[str]]:
    """The steps that ``done`` (authenticators already passed in the SSO session) does not satisfy."""
    done = set(done)
    return [step for step in steps if not done.intersection(step)]
