"""Writes to applications: create from a template, update, delete, regenerate the secret."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.applications.app_settings import (
    CLIENT_PUBLIC,
    IMMUTABLE_SETTINGS,
    PROTOCOL_SETTINGS,
    SETTINGS,
    settings_apply,
    settings_of,
)
from apps.applications.app_templates import AppTemplate, template_get
from apps.applications.models import Application
from apps.applications.secrets import client_secret_generate
from apps.applications.services.validation import (
    check_consistency,
    check_general_consistency,
    clean_name,
    clean_setting,
    origins_of,
    same_value,
)
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit


def _check_name_free(*, organization: Any, name: str, exclude: Application | None = None) -> None:
    qs = Application.objects.filter(organization=organization, name__iexact=name)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if qs.exists():
        raise Conflict("APP-60009", _("An application with this name already exists."), field="name")


def _save_or_conflict(application: Application, **kwargs: Any) -> None:
    try:
        with transaction.atomic():  # a savepoint: the outer transaction survives the IntegrityError
            application.save(**kwargs)
    except IntegrityError as exc:  # a concurrent create took the name
        raise Conflict("APP-60009", _("An application with this name already exists."), field="name") from exc


def _payload(application: Application, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(application.uuid),
        "name": application.name,
        "clientId": application.client_id,
        "templateId": application.template_id,
        **extra,
    }


def _locked_refusal(setting: str) -> InvalidInput:
    return InvalidInput(
        "APP-60006",
        _("%(setting)s is fixed by the application template and cannot be changed.") % {"setting": setting},
        field=setting,
    )


def _template_or_error(template_id: Any) -> AppTemplate:
    template = template_get(template_id)
    if template is None:
        raise InvalidInput(
            "APP-60003",
            _("Unknown application template: %(id)s.") % {"id": str(template_id)[:64]},
            field="template_id",
        )
    return template


@transaction.atomic
def application_create(
    *, actor: Any, organization: Any, template_id: str, name: str, **overrides: Any
) -> tuple[Application, str | None]:
    """A new application from ``template_id`` with ``overrides`` of its settings.

    Returns the application and its client secret in plain text (``None`` for a
    public client): the only time the secret is ever available."""
    template = _template_or_error(template_id)
    name = clean_name(name)
    unknown = set(overrides) - set(SETTINGS)
    if unknown:
        raise InvalidInput("APP-60001", _("Unknown settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    custom_schemes = template.custom_scheme_redirects
    given = {key: clean_setting(key, value, custom_schemes=custom_schemes) for key, value in overrides.items()}
    for setting in template.locked:
        if setting in given and not same_value(given[setting], template.defaults[setting]):
            raise _locked_refusal(setting)
    values = {key: clean_setting(key, value, custom_schemes=custom_schemes) for key, value in template.defaults.items()}
    values.update(given)
    if "token_endpoint_auth_method" not in given:
        # Follow the client type chosen in the wizard (the MCP template lets it be confidential).
        if values["client_type"] == CLIENT_PUBLIC:
            values["token_endpoint_auth_method"] = "none"
        elif values["token_endpoint_auth_method"] == "none":
            values["token_endpoint_auth_method"] = "client_secret_basic"
    if template.allowed_origins_from_redirects and "allowed_origins" not in given:
        values["allowed_origins"] = origins_of(values["redirect_uris"])
    check_consistency(values)
    _check_name_free(organization=organization, name=name)

    application = Application(
        organization=organization,
        name=name,
        template_id=template.id,
        settings_locked=list(template.locked),
        client_secret="",  # django-oauth-toolkit's column stays empty: see client_secret_hash
        hash_client_secret=False,
    )
    settings_apply(application, values)
    plaintext: str | None = None
    if values["client_type"] != CLIENT_PUBLIC:
        plaintext, application.client_secret_hash = client_secret_generate()
    _save_or_conflict(application, force_insert=True)
    audit_record(
        actor=actor,
        action="application.create",
        target_type="application",
        target_id=application.uuid,
        organization=organization,
        data={"name": application.name, "templateId": template.id, "clientId": application.client_id},
    )
    emit("application.created", organization=organization, payload=_payload(application))
    return application, plaintext


@transaction.atomic
def application_update(*, actor: Any, application: Application, name: str | None = None, **changes: Any) -> Application:
    """Change the name and any settings; locked and immutable settings may only be "changed" to their value."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise InvalidInput("APP-60001", _("Unknown settings: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    template = template_get(application.template_id)
    custom_schemes = bool(template and template.custom_scheme_redirects)
    current = settings_of(application)
    given = {key: clean_setting(key, value, custom_schemes=custom_schemes) for key, value in changes.items()}
    changed = {key: value for key, value in given.items() if not same_value(value, current[key])}
    for setting in changed:
        if setting in IMMUTABLE_SETTINGS:
            raise InvalidInput(
                "APP-60007",
                _("%(setting)s cannot be changed after the application is created.") % {"setting": setting},
                field=setting,
            )
        if setting in application.settings_locked:
            raise _locked_refusal(setting)
    if set(changed) & set(PROTOCOL_SETTINGS):
        check_consistency({**current, **given})
    else:  # an application registered before its protocol settings existed can still be renamed
        check_general_consistency({**current, **given})
    changed_fields = sorted(changed)
    if name is not None:
        new_name = clean_name(name)
        if new_name != application.name:
            _check_name_free(organization=application.organization, name=new_name, exclude=application)
            application.name = new_name
            changed_fields.insert(0, "name")
    settings_apply(application, given)
    _save_or_conflict(application)  # always saved: ``updated`` is the OAuth client cache's version
    audit_record(
        actor=actor,
        action="application.update",
        target_type="application",
        target_id=application.uuid,
        organization=application.organization,
        data={"changed": changed_fields},
    )
    emit(
        "application.updated",
        organization=application.organization,
        payload=_payload(application, changed=changed_fields),
    )
    return application


@transaction.atomic
def application_delete(*, actor: Any, application: Application) -> None:
    """Delete the application with its tokens, grants and API authorizations."""
    organization, payload = application.organization, _payload(application)
    application.delete()
    audit_record(
        actor=actor,
        action="application.delete",
        target_type="application",
        target_id=payload["id"],
        organization=organization,
        data={"name": payload["name"], "clientId": payload["clientId"]},
    )
    emit("application.deleted", organization=organization, payload=payload)


@transaction.atomic
def application_regenerate_secret(*, actor: Any, application: Application) -> str:
    """A new client secret, returned once; the old one stops working at commit."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.client_type == CLIENT_PUBLIC:
        raise InvalidInput("APP-60008", _("A public client has no client secret."))
    plaintext, application.client_secret_hash = client_secret_generate()
    application.save(update_fields=["client_secret_hash", "updated"])
    audit_record(
        actor=actor,
        action="application.secret_regenerate",
        target_type="application",
        target_id=application.uuid,
        organization=application.organization,
    )
    emit("application.secret_regenerated", organization=application.organization, payload=_payload(application))
    return plaintext
