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


@transaction.atomic
def sequence_set(*, actor: Any, application: Any, steps: Any) -> AuthSequence:
    cleaned = steps_clean(steps)
    row, _created = AuthSequence.objects.update_or_create(application=application, defaults={"steps": cleaned})
    audit_record(
        actor=actor,
        action="application.auth_sequence.update",
        target_type="application",
        target_id=application.pk,
        organization=application.organization,
        data={"steps": cleaned},
    )
    return row


def steps_missing(steps: list[list[str]], done: list[str] | set[str]) -> list[list[str]]:
    """The steps that ``done`` (authenticators already passed in the SSO session) does not satisfy."""
    done = set(done)
    return [step for step in steps if not done.intersection(step)]
