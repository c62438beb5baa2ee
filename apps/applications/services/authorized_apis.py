"""Which API resources, and which of their scopes, an application may request tokens for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.applications.app_templates import MCP_TEMPLATE_ID
from apps.applications.models import APIResource, Application, AuthorizedAPI, Scope
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit


def application_touch(*, application_ids: Iterable[Any]) -> None:
    """Move ``updated`` of these applications: the OAuth client snapshots use it as their version."""
    ids = list(application_ids)
    if ids:
        Application.objects.filter(pk__in=ids).update(updated=timezone.now())


def _scope_names(values: Any, *, field: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise InvalidInput("APP-60031", _("Scopes must be a list of scope names."), field=field)
    names = []
    for name in values:
        if not isinstance(name, str) or not name:
            raise InvalidInput("APP-60031", _("Scopes must be a list of scope names."), field=field)
        names.append(name)
    return list(dict.fromkeys(names))


def _resource_scopes(api_resource: APIResource, names: list[str], *, field: str = "scopes") -> list[Scope]:
    scopes = list(Scope.objects.filter(api_resource=api_resource, name__in=names))
    missing = set(names) - {scope.name for scope in scopes}
    if missing:
        raise InvalidInput(
            "APP-60031",
            _("These scopes do not belong to %(api)s: %(names)s.")
            % {"api": api_resource.name, "names": ", ".join(sorted(missing)[:20])},
            field=field,
        )
    return scopes


def _policy(value: Any) -> str:
    if value not in AuthorizedAPI.Policy.values:
        raise InvalidInput(
            "APP-60035",
            _("The policy must be one of: %(p)s.") % {"p": ", ".join(AuthorizedAPI.Policy.values)},
            field="policy",
        )
    return value


def _payload(authorized: AuthorizedAPI) -> dict[str, Any]:
    return {
        "applicationId": str(authorized.application.uuid),
        "apiResourceId": str(authorized.api_resource_id),
        "identifier": authorized.api_resource.identifier,
        "policy": authorized.policy,
        "scopes": sorted(scope.name for scope in authorized.scopes.all()),
    }


def _record(actor: Any, action: str, event: str, authorized: AuthorizedAPI, payload: dict[str, Any]) -> None:
    organization = authorized.application.organization
    audit_record(
        actor=actor,
        action=action,
        target_type="application",
        target_id=authorized.application.uuid,
        organization=organization,
        data={"apiResourceId": payload["apiResourceId"], "scopes": payload["scopes"]},
    )
    emit(event, organization=organization, payload=payload)


@transaction.atomic
def application_authorize_api(
    *,
    actor: Any,
    application: Application,
    api_resource: APIResource,
    scopes: Iterable[str] = (),
    policy: str = AuthorizedAPI.Policy.RBAC,
) -> AuthorizedAPI:
    """Let ``application`` request ``scopes`` of ``api_resource`` (WSO2 "authorized APIs").

    The resource must be visible to the application's organization (a system
    API or a resource of its root). As in WSO2 7.2, MCP servers can only be
    authorized for applications made from the MCP client template."""
    application = Application.objects.select_for_update().select_related("organization").get(pk=application.pk)
    if not APIResource.objects.for_org(application.organization).filter(pk=api_resource.pk).exists():
        raise InvalidInput("APP-60030", _("The API resource does not exist."), field="api_resource")
    if api_resource.type == APIResource.Type.MCP and application.template_id != MCP_TEMPLATE_ID:
        raise InvalidInput(
            "APP-60032",
            _("Only applications created from the MCP client application template can be authorized for MCP servers."),
            field="api_resource",
        )
    policy = _policy(policy)
    chosen = _resource_scopes(api_resource, _scope_names(scopes, field="scopes"))
    if AuthorizedAPI.objects.filter(application=application, api_resource=api_resource).exists():
        raise Conflict("APP-60033", _("The application is already authorized for this API resource."))
    try:
        with transaction.atomic():
            authorized = AuthorizedAPI.objects.create(application=application, api_resource=api_resource, policy=policy)
    except IntegrityError as exc:
        raise Conflict("APP-60033", _("The application is already authorized for this API resource.")) from exc
    authorized.scopes.set(chosen)
    application_touch(application_ids=[application.pk])
    _record(actor, "application.api_authorize", "application.api_authorized", authorized, _payload(authorized))
    return authorized


@transaction.atomic
def application_update_authorized_api(
    *,
    actor: Any,
    authorized_api: AuthorizedAPI,
    scopes: Iterable[str] | None = None,
    added_scopes: Iterable[str] = (),
    removed_scopes: Iterable[str] = (),
    policy: str | None = None,
) -> AuthorizedAPI:
    """Replace the authorized scopes (``scopes``) or add and remove some; optionally change the policy."""
    authorized = AuthorizedAPI.objects.select_for_update().select_related("application__organization", "api_resource")
    authorized = authorized.get(pk=authorized_api.pk)
    resource = authorized.api_resource
    added = _scope_names(added_scopes, field="addedScopes")
    removed = _scope_names(removed_scopes, field="removedScopes")
    if set(added) & set(removed):
        raise InvalidInput("APP-60031", _("A scope cannot be both added and removed."), field="scopes")
    if scopes is not None:
        if added or removed:
            raise InvalidInput("APP-60031", _("Give either the scopes or the changes to them."), field="scopes")
        authorized.scopes.set(_resource_scopes(resource, _scope_names(scopes, field="scopes")))
    else:
        if added:
            authorized.scopes.add(*_resource_scopes(resource, added, field="addedScopes"))
        if removed:
            authorized.scopes.remove(*_resource_scopes(resource, removed, field="removedScopes"))
    if policy is not None:
        authorized.policy = _policy(policy)
        authorized.save(update_fields=["policy"])
    application_touch(application_ids=[authorized.application_id])
    _record(actor, "application.api_update", "application.api_authorization_updated", authorized, _payload(authorized))
    return authorized


@transaction.atomic
def application_revoke_api(*, actor: Any, authorized_api: AuthorizedAPI) -> None:
    """Take the application's authorization for an API resource away (tokens already issued live on)."""
    authorized = AuthorizedAPI.objects.select_related("application__organization", "api_resource").get(
        pk=authorized_api.pk
    )
    payload = _payload(authorized)
    application = authorized.application
    authorized.delete()
    application_touch(application_ids=[application.pk])
    _record(actor, "application.api_revoke", "application.api_revoked", authorized, payload)
