"""Reads of identity providers and federated associations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.ids import parse_uuid
from apps.idp.models import FederatedAssociation, IdentityProvider


def idp_list(*, organization: Any) -> QuerySet[IdentityProvider]:
    return IdentityProvider.objects.for_org(organization).order_by("name")


def idp_get(organization: Any, name: str) -> IdentityProvider | None:
    """The IdP called ``name`` in ``organization`` (the lookup a flow executor or script uses)."""
    if not isinstance(name, str) or not name or len(name) > 100:
        return None
    return IdentityProvider.objects.for_org(organization).filter(name=name).first()


def idp_get_by_id(*, organization: Any, idp_id: Any) -> IdentityProvider | None:
    pk = parse_uuid(idp_id)
    return None if pk is None else IdentityProvider.objects.for_org(organization).filter(pk=pk).first()


def associations_of(user: Any) -> QuerySet[FederatedAssociation]:
    return FederatedAssociation.objects.filter(user=user).select_related("idp").order_by("created", "id")


def association_get(*, user: Any, association_id: Any) -> FederatedAssociation | None:
    pk = parse_uuid(association_id)
    return None if pk is None else associations_of(user).filter(pk=pk).first()
