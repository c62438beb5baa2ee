"""Turning a submitted view's inputs into the flow's claims and credentials.

Claim inputs are checked and normalised by the same rules the users service applies (username,
email and mobile rules for the account's own fields, ``validate_user_attributes`` for typed
attributes), so a value a flow accepts is a value the account can hold. The password is checked
against the organization's policy and hashed at once; only the hash is kept."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext as _

from apps.core.errors import DomainError
from apps.flows.constants import EMAIL_CLAIM, NON_CLAIM_IDENTIFIERS, PASSWORD
from apps.flows.engine.run import FlowRun
from apps.flows.plan import PlanInput, PlanNode
from apps.users.models import User

MAX_INPUTS = 64
MAX_VALUE_LENGTH = 4096
TRUE_VALUES = {"true", "on", "1", "yes"}


def inputs_parse(raw: Any) -> dict[str, str] | None:
    """The ``inputs`` object as text values, or None when it is not a small flat object."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_INPUTS:
        return None
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or len(key) > 512:
            return None
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = str(value)
        elif value is None:
            value = ""
        if not isinstance(value, str) or len(value) > MAX_VALUE_LENGTH:
            return None
        out[key] = value
    return out


def _filled(spec: PlanInput, inputs: dict[str, str]) -> bool:
    value = inputs.get(spec.identifier)
    if value is None or value.strip() == "":
        return False
    return not (spec.variant == "CHECKBOX" and value.strip().lower() not in TRUE_VALUES)


def missing_required(node: PlanNode, inputs: dict[str, str]) -> list[str]:
    return [spec.identifier for spec in node.inputs if spec.required and not _filled(spec, inputs)]


def _message(spec: PlanInput, text: str) -> dict[str, str]:
    return {
        "type": "ERROR",
        "message": text,
        "i18nKey": "flows.input.invalid",
        "identifier": spec.identifier,
        "componentId": spec.component_id,
    }


def _claim_value(run: FlowRun, spec: PlanInput, value: str, definitions: dict[str, Any]) -> Any:
    from apps.attributes.services import validate_user_attributes
    from apps.users.services.validation import clean_email, clean_phone, clean_text, normalize_username

    definition = definitions.get(spec.identifier)
    if definition is None:
        return value.strip()
    if spec.variant == "CHECKBOX":
        value = "true" if value.strip().lower() in TRUE_VALUES else "false"
    storage = definition.storage
    if storage == "username":
        return normalize_username(value)
    if storage == "email":
        return clean_email(value)
    if storage == "phone":
        return clean_phone(value)
    if storage in ("given_name", "family_name"):
        return clean_text(value, field=storage, max_length=150)
    cleaned = validate_user_attributes(run.organization, {storage: value}, partial=True)
    return cleaned.get(storage)


def _password_hash(run: FlowRun, password: str) -> str:
    """Policy check (with the account's password history when it exists), then the hash."""
    from apps.users.services.validation import clean_password

    user = run.user()
    if user is not None and not run.sandbox:
        clean_password(password, user=user)
    else:
        # An unsaved stand-in: the similarity and policy rules apply, nothing is written.
        candidate = User(
            organization=run.organization,
            username=user.username if user is not None else run.username(),
            email=user.email if user is not None else str(run.claims.get(EMAIL_CLAIM) or ""),
        )
        clean_password(password, user=candidate)
    return make_password(password)


def inputs_collect(run: FlowRun, node: PlanNode, inputs: dict[str, str]) -> list[dict[str, str]]:
    """Store the view's claim and password inputs on the run; the problems, as view messages."""
    from apps.attributes.selectors import attribute_definitions

    problems: list[dict[str, str]] = []
    definitions: dict[str, Any] | None = None
    for spec in node.inputs:
        if spec.identifier in NON_CLAIM_IDENTIFIERS and spec.identifier != PASSWORD:
            continue  # codes and tokens go to the executor, never into the context
        value = inputs.get(spec.identifier)
        if value is None or (value.strip() == "" and spec.variant != "CHECKBOX"):
            continue
        try:
            if spec.identifier == PASSWORD:
                run.secrets["passwordHash"] = _password_hash(run, value)
                continue
            if definitions is None:
                definitions = {d.claim_uri: d for d in attribute_definitions(organization=run.organization)}
            cleaned = _claim_value(run, spec, value, definitions)
        except DomainError as exc:
            problems.append(_message(spec, exc.message))
            continue
        if cleaned is None or cleaned == "":
            run.claims.pop(spec.identifier, None)
        else:
            run.claims[spec.identifier] = cleaned
    if problems:
        problems.insert(
            0, {"type": "ERROR", "message": _("Check the highlighted fields."), "i18nKey": "flows.input.check"}
        )
    return problems
