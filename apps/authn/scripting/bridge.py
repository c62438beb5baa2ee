"""Host functions: what a script may ask the server, each confined to the login's organization.

A script reaches these only through the journal (see ``prelude``): the run stops
at a host call, ``bridge_call`` answers it, the answer is journalled and the
script runs again. So every call runs exactly once per login, including the
side-effecting ones (association changes). Arguments are JSON; a bad argument
gives ``null``/``false`` and a log line (as WSO2 does), never an exception into
the server. Users are looked up in the login's organization only.

Federated associations belong to ``apps.idp``: it implements ``FederationBridge``
and may register it with ``federation_bridge_register``; without one, the adapter
in ``federation`` over ``apps.idp``'s services is used."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.db.models import Q

logger = logging.getLogger("apps.authn.scripting")

PRIMARY_USER_STORE = "PRIMARY"
SEARCHABLE_COLUMNS = {"username", "email", "given_name", "family_name", "phone"}
MAX_CLAIMS_IN_MAP = 5
MAX_VALUE_LENGTH = 1024
MAX_NAMES = 50


class HostInputError(Exception):
    """A bad argument: the call answers null/false and the script carries on."""


@dataclass(frozen=True)
class HostContext:
    organization: Any
    application: Any = None


class FederationBridge(Protocol):
    """What ``apps.idp`` provides for the association functions (idp = the identity provider's name)."""

    def local_user(self, *, organization: Any, idp: str, subject: str) -> Any | None: ...

    def associate(self, *, organization: Any, idp: str, subject: str, user: Any) -> None:
        """Link; raise ``apps.core.errors.DomainError`` when the link is not allowed (already linked ...)."""

    def remove(self, *, organization: Any, idp: str, subject: str) -> bool: ...


_federation: FederationBridge | None = None


def federation_bridge_register(bridge: FederationBridge | None) -> None:
    global _federation
    _federation = bridge


def federation_bridge() -> FederationBridge | None:
    """The registered bridge; else the adapter over ``apps.idp`` when that app is installed."""
    if _federation is not None:
        return _federation
    from django.apps import apps

    if apps.is_installed("apps.idp"):
        from apps.authn.scripting.federation import IdpAppFederation

        return IdpAppFederation()
    return None


# --- users as scripts see them ----------------------------------------------------------------------


def tenant_domain(organization: Any) -> str:
    return organization.handle if organization.is_root else organization.root.handle


def user_descriptor(user: Any) -> dict[str, Any]:
    """A local user as a script object: ``uniqueId``, ``username``, ``userStoreDomain``, ``localClaims``."""
    from apps.attributes.selectors import user_claim_values

    claims = {
        uri: value if isinstance(value, str | bool | int | float) else str(value)
        for uri, value in user_claim_values(user).items()
    }
    return {
        "uniqueId": str(user.pk),
        "username": user.username,
        "userStoreDomain": PRIMARY_USER_STORE,
        "tenantDomain": tenant_domain(user.organization),
        "localClaims": claims,
        "claims": {},
        "isFederated": False,
    }


def user_role_names(user: Any, *, application: Any = None) -> list[str]:
    """Names of the roles held directly or through a group: organization roles and this application's roles."""
    from apps.users.models import Role

    audience = Q(audience=Role.Audience.ORGANIZATION)
    if application is not None:
        audience |= Q(audience_application_id=application.pk)
    roles = Role.objects.filter(organization_id=user.organization_id).filter(audience)
    roles = roles.filter(Q(users=user) | Q(groups__members=user))
    return sorted(set(roles.values_list("name", flat=True)))


def user_group_names(user: Any) -> list[str]:
    return sorted(set(user.member_groups.values_list("name", flat=True)))


def subject_entry(user: Any, *, application: Any = None) -> dict[str, Any]:
    """What the prelude knows about a login's subject up front, so role and group checks need no host call."""
    return {
        "user": user_descriptor(user),
        "roles": user_role_names(user, application=application),
        "groups": user_group_names(user),
    }


# --- argument parsing -------------------------------------------------------------------------------


def _names(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_NAMES:
        raise HostInputError(f"expected a list of at most {MAX_NAMES} names")
    return [str(item)[:255] for item in value]


def _local_user(host: HostContext, ref: Any) -> Any | None:
    from apps.core.ids import parse_uuid
    from apps.users.models import User

    if not isinstance(ref, dict):
        return None
    pk = parse_uuid(ref.get("uniqueId"))
    if pk is not None:  # a federated user carries the id of the local user its login resolved to
        return User.objects.for_org(host.organization).filter(pk=pk).first()
    username = ref.get("username")
    if ref.get("isFederated"):
        return None
    if isinstance(username, str) and username:
        return User.objects.for_org(host.organization).filter(username=username[:150]).first()
    return None


def _federated(ref: Any) -> tuple[str, str]:
    if not isinstance(ref, dict) or not ref.get("isFederated"):
        raise HostInputError("the user is not a federated user")
    idp, subject = ref.get("federatedIdPName"), ref.get("username")
    if not isinstance(idp, str) or not idp or not isinstance(subject, str) or not subject:
        raise HostInputError("the federated user has no identity provider or subject")
    return idp[:255], subject[:1024]


def _claim_filter(host: HostContext, claim_map: Any) -> Q:
    """``{claim URI: value}`` -> a filter; every entry must match exactly (WSO2 searches by the first, then filters)."""
    from apps.attributes.selectors import local_claim_get

    if not isinstance(claim_map, dict) or not 1 <= len(claim_map) <= MAX_CLAIMS_IN_MAP:
        raise HostInputError(f"claimMap must be an object of 1 to {MAX_CLAIMS_IN_MAP} claims")
    condition = Q()
    for uri, value in claim_map.items():
        definition = local_claim_get(organization=host.organization, claim_uri=str(uri)[:255])
        if definition is None or definition.data_type == "complex":
            raise HostInputError(f"unknown attribute {str(uri)[:100]}")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise HostInputError(f"the value of {uri[:100]} must be a string")
        text = str(value)[:MAX_VALUE_LENGTH]
        storage = definition.storage
        if storage == "id":
            from apps.core.ids import parse_uuid

            pk = parse_uuid(text)
            condition &= Q(pk=pk) if pk is not None else Q(pk__in=[])
        elif storage in SEARCHABLE_COLUMNS:
            condition &= Q(**{storage: text})
        elif storage.isidentifier():
            condition &= Q(**{f"attributes__{storage}": text})
        else:
            raise HostInputError(f"{uri[:100]} cannot be searched")
    return condition


# --- the functions ----------------------------------------------------------------------------------


def _has_any_of_the_roles(host: HostContext, ref: Any, roles: Any) -> bool:
    user = _local_user(host, ref)
    wanted = set(_names(roles))
    return user is not None and bool(wanted.intersection(user_role_names(user, application=host.application)))


def _is_member_of_any_of_groups(host: HostContext, ref: Any, groups: Any) -> bool:
    user = _local_user(host, ref)
    wanted = set(_names(groups))
    return user is not None and bool(wanted.intersection(user_group_names(user)))


def _users_with_claim_values(host: HostContext, claim_map: Any) -> list[dict[str, Any]] | None:
    from apps.users.models import User

    cap = settings.IAM_SCRIPT_MAX_USERS
    found = list(
        User.objects.for_org(host.organization)
        .filter(_claim_filter(host, claim_map))
        .select_related("organization")
        .order_by("username")[: cap + 1]
    )
    if len(found) > cap:
        logger.warning("getUsersWithClaimValues: more than %d users match; the first %d are returned", cap, cap)
        found = found[:cap]
    return [user_descriptor(user) for user in found] or None


def _unique_user_with_claim_values(host: HostContext, claim_map: Any) -> dict[str, Any] | None:
    from apps.users.models import User

    found = list(User.objects.for_org(host.organization).filter(_claim_filter(host, claim_map))[:2])
    return user_descriptor(found[0]) if len(found) == 1 else None


def _associated_local_user(host: HostContext, ref: Any) -> dict[str, Any] | None:
    idp, subject = _federated(ref)
    bridge = federation_bridge()
    if bridge is None:
        raise HostInputError("federated associations are not available")
    user = bridge.local_user(organization=host.organization, idp=idp, subject=subject)
    if user is None or user.organization_id != host.organization.pk:
        return None
    return user_descriptor(user)


def _do_association(host: HostContext, ref: Any, username: Any, tenant: Any, user_store: Any) -> bool:
    from apps.core.errors import DomainError
    from apps.users.models import User

    idp, subject = _federated(ref)
    if tenant not in (None, "") and tenant != tenant_domain(host.organization):
        raise HostInputError("users of another organization cannot be associated")
    if user_store not in (None, "") and str(user_store).upper() != PRIMARY_USER_STORE:
        raise HostInputError(f"unknown user store {str(user_store)[:64]}")
    user = User.objects.for_org(host.organization).filter(username=str(username)[:150]).first()
    bridge = federation_bridge()
    if user is None or bridge is None:
        return False
    try:
        bridge.associate(organization=host.organization, idp=idp, subject=subject, user=user)
    except DomainError as exc:
        logger.info("doAssociationWithLocalUser refused: %s", exc.message)
        return False
    return True


def _remove_association(host: HostContext, ref: Any) -> bool:
    try:
        idp, subject = _federated(ref)
    except HostInputError:
        return False  # WSO2: false for a user that is not federated
    bridge = federation_bridge()
    return bridge is not None and bool(bridge.remove(organization=host.organization, idp=idp, subject=subject))


HOST_FUNCTIONS: dict[str, tuple[Callable[..., Any], Any]] = {
    # name: (function, answer when an argument is bad)
    "hasAnyOfTheRoles": (_has_any_of_the_roles, False),
    "isMemberOfAnyOfGroups": (_is_member_of_any_of_groups, False),
    "getUsersWithClaimValues": (_users_with_claim_values, None),
    "getUniqueUserWithClaimValues": (_unique_user_with_claim_values, None),
    "getAssociatedLocalUser": (_associated_local_user, None),
    "doAssociationWithLocalUser": (_do_association, False),
    "removeAssociatedLocalUser": (_remove_association, False),
}


def bridge_call(host: HostContext, name: str, args: list[Any]) -> Any:
    """Answer one host call (JSON in, JSON out). Unknown names are the caller's bug: ``KeyError``."""
    function, fallback = HOST_FUNCTIONS[name]
    try:
        return function(host, *args)
    except (HostInputError, TypeError) as exc:
        logger.warning("%s: %s", name, exc)
        return fallback
