"""Keep cached client snapshots honest.

An application's ``updated`` timestamp is the version its snapshot carries and
every access-token INSERT checks (``apps.oauth.store``). Saving the
application bumps it by itself; changes to what it is authorized for (its
authorized APIs, their scopes, the resources' identifiers and scope names)
bump it here, so every process notices on its next token request. The local
cache entry is dropped as well. Bulk ``QuerySet.update()`` calls bypass these
signals: services that use them must call ``application_version_bump``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

from apps.applications.models import APIResource, Application, AuthorizedAPI, Scope
from apps.oauth.clients import client_cache_invalidate


def application_version_bump(*, application_ids: Iterable[Any]) -> None:
    ids = [pk for pk in application_ids if pk is not None]
    if not ids:
        return
    apps = Application.objects.filter(pk__in=ids)
    for client_id in apps.values_list("client_id", flat=True):
        client_cache_invalidate(client_id=client_id)
    apps.update(updated=timezone.now())


def _application_changed(sender: Any, instance: Application, **kwargs: Any) -> None:
    client_cache_invalidate(client_id=instance.client_id)


def _authorized_api_changed(sender: Any, instance: AuthorizedAPI, **kwargs: Any) -> None:
    application_version_bump(application_ids=[instance.application_id])


def _authorized_scopes_changed(sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kw: Any) -> None:
    if not action.startswith("post_"):
        return
    if reverse:  # scope.authorizedapi_set.add(...): instance is a Scope
        ids = AuthorizedAPI.objects.filter(pk__in=pk_set or ()).values_list("application_id", flat=True)
        application_version_bump(application_ids=list(ids))
    else:
        application_version_bump(application_ids=[instance.application_id])


def _resource_changed(sender: Any, instance: APIResource | Scope, **kwargs: Any) -> None:
    resource_id = instance.pk if isinstance(instance, APIResource) else instance.api_resource_id
    ids = AuthorizedAPI.objects.filter(api_resource_id=resource_id).values_list("application_id", flat=True)
    application_version_bump(application_ids=list(ids))


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_application_changed, sender=Application, dispatch_uid="oauth-application-changed")
        signal.connect(_authorized_api_changed, sender=AuthorizedAPI, dispatch_uid="oauth-authorized-api-changed")
        signal.connect(_resource_changed, sender=APIResource, dispatch_uid="oauth-resource-changed")
        signal.connect(_resource_changed, sender=Scope, dispatch_uid="oauth-scope-changed")
    m2m_changed.connect(
        _authorized_scopes_changed, sender=AuthorizedAPI.scopes.through, dispatch_uid="oauth-authorized-scopes"
    )
