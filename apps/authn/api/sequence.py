"""An application's ``authenticationSequence`` in WSO2's shape, for the applications API.

``GET /applications/{id}`` shows it; ``PATCH /applications/{id}`` with
``authenticationSequence`` changes the steps and/or the conditional
authentication ``script`` through ``sequence_set`` (a script with a syntax error
is refused with its line number). As in WSO2, a non-empty ``script`` means
conditional authentication is on and ``""`` turns it off (the Console keeps a
disabled script's text; the API then shows ``""``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from apps.authn.models import AuthSequence
from apps.authn.scripting.engine import WSO2_AUTHENTICATORS
from apps.authn.services.sequences import DEFAULT_STEPS, MAX_STEPS, sequence_set
from apps.core.api.serializers import StrictCharField, StrictSerializer
from apps.core.errors import InvalidInput

OUR_TO_WSO2 = {ours: theirs for theirs, ours in WSO2_AUTHENTICATORS.items()}
FEDERATED_AUTHENTICATOR = "OpenIDConnectAuthenticator"


class AuthenticatorOptionSerializer(StrictSerializer):
    idp = StrictCharField(max_length=255)
    authenticator = StrictCharField(max_length=255, required=False)


class AuthenticationStepSerializer(StrictSerializer):
    id = serializers.IntegerField(min_value=1, max_value=MAX_STEPS)
    options = AuthenticatorOptionSerializer(many=True)


class AuthenticationSequenceSerializer(StrictSerializer):
    type = StrictCharField(required=False, max_length=32, help_text="DEFAULT (resets the steps) or USER_DEFINED.")
    steps = AuthenticationStepSerializer(many=True, required=False)
    script = StrictCharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200_000)
    subjectStepId = serializers.IntegerField(required=False, min_value=1)  # noqa: N815  (always 1 here)
    attributeStepId = serializers.IntegerField(required=False, min_value=1)  # noqa: N815  (always 1 here)


def _option_out(authenticator_id: str) -> dict[str, str]:
    if authenticator_id.startswith("federated:"):
        return {"idp": authenticator_id.partition(":")[2], "authenticator": FEDERATED_AUTHENTICATOR}
    return {"idp": "LOCAL", "authenticator": OUR_TO_WSO2.get(authenticator_id, authenticator_id)}


def _option_in(option: dict[str, Any]) -> str:
    idp = option["idp"]
    if idp != "LOCAL":
        return f"federated:{idp}"
    name = option.get("authenticator", "")
    if not name:
        raise InvalidInput("AUT-60003", _("A local option needs an authenticator."), field="steps")
    return WSO2_AUTHENTICATORS.get(name, name)


def authentication_sequence_out(application: Any) -> dict[str, Any]:
    row = AuthSequence.objects.filter(application=application).first()
    steps = row.steps if row is not None and row.steps else DEFAULT_STEPS
    script = row.script if row is not None and row.script_enabled else ""
    return {
        "type": "USER_DEFINED" if row is not None else "DEFAULT",
        "steps": [
            {"id": number, "options": [_option_out(item) for item in step]}
            for number, step in enumerate(steps, start=1)
        ],
        "script": script,
        "subjectStepId": 1,
        "attributeStepId": 1,
    }


def authentication_sequence_apply(*, actor: Any, application: Any, data: dict[str, Any]) -> None:
    """Apply a parsed ``authenticationSequence`` body (``AuthenticationSequenceSerializer``)."""
    steps = None
    if data.get("type") not in (None, "DEFAULT", "USER_DEFINED"):
        raise InvalidInput("AUT-60001", _("type is DEFAULT or USER_DEFINED."), field="type")
    if data.get("type") == "DEFAULT":
        steps = [list(step) for step in DEFAULT_STEPS]
    if "steps" in data:
        ordered = sorted(data["steps"], key=lambda item: item["id"])
        if [item["id"] for item in ordered] != list(range(1, len(ordered) + 1)):
            raise InvalidInput("AUT-60001", _("Step ids must be 1, 2, 3 ... without gaps."), field="steps")
        steps = [[_option_in(option) for option in item["options"]] for item in ordered]
    script = data.get("script")
    enabled = None if script is None else bool(script.strip())
    if script == "":
        script = None  # turning it off keeps nothing new to check; the stored text is left as it is
    sequence_set(actor=actor, application=application, steps=steps, script=script, script_enabled=enabled)
