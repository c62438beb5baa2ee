"""Organization discovery: which organization of a tree a user signing in on the root's login page
belongs to, by organization handle, id or name, by email domain, or picked from a list.

Each root configures which ways are on (kind ``discovery`` of ``apps.orgs.inheritance``, stored on
the root; WSO2's ``organization-configs/discovery``). Email domains are discovery attributes of
organizations (``DiscoveryAttribute``): one domain leads to one organization of the tree."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Forbidden, InvalidInput
from apps.orgs.inheritance import Kind, kind_register, overrides_save, settings_resolve
from apps.orgs.models import DiscoveryAttribute, Organization

# WSO2 property keys -> default. ``defaultParam``: what the discovery page asks for first.
DISCOVERY_DEFAULTS: dict[str, Any] = {
    "orgHandle.enable": True,
    "emailDomain.enable": False,
    "organizationPicker.enable": False,
    "defaultParam": "orgHandle",
}
DEFAULT_PARAMS = ("orgHandle", "orgName", "emailDomain")
DISCOVERY_KIND = kind_register(Kind("discovery", lambda: DISCOVERY_DEFAULTS))
MAX_DOMAINS = 100
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _root(organization: Organization) -> Organization:
    return organization if organization.is_root else organization.root


def _require_root(organization: Organization) -> Organization:
    if not organization.is_root:
        raise Forbidden("ORG-60090", _("Organization discovery is configured in the root organization."))
    return organization


# --- configuration ---------------------------------------------------------------------------------


def discovery_config_get(*, organization: Organization) -> dict[str, Any]:
    """The root's discovery options (sub-organizations read their root's)."""
    return dict(settings_resolve(_root(organization), DISCOVERY_KIND.name).values)


@transaction.atomic
def discovery_config_update(*, actor: Any, organization: Organization, properties: dict[str, Any]) -> dict[str, Any]:
    root = _require_root(organization)
    for key, value in properties.items():
        if key not in DISCOVERY_DEFAULTS:
            raise InvalidInput("ORG-60091", _("Unknown discovery property %(k)s.") % {"k": key}, field=key)
        if key == "defaultParam":
            if value not in DEFAULT_PARAMS:
                raise InvalidInput(
                    "ORG-60091",
                    _("defaultParam must be one of %(v)s.") % {"v": ", ".join(DEFAULT_PARAMS)},
                    field=key,
                )
        elif not isinstance(value, bool):
            raise InvalidInput("ORG-60091", _("%(k)s must be true or false.") % {"k": key}, field=key)
    overrides_save(organization=root, kind=DISCOVERY_KIND.name, values=properties)
    audit_record(
        actor=actor,
        action="organization.discovery_config.update",
        target_type="organization",
        target_id=root.pk,
        organization=root,
        data=properties,
    )
    return discovery_config_get(organization=root)


# --- email domains ---------------------------------------------------------------------------------


def email_domain_normalize(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput("ORG-60092", _("An email domain must be a string."), field="values")
    domain = value.strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise InvalidInput("ORG-60092", _("“%(d)s” is not a domain name.") % {"d": value[:100]}, field="values")
    return domain


def discovery_attributes_of(*, organization: Organization) -> list[dict[str, Any]]:
    values = list(
        DiscoveryAttribute.objects.filter(organization=organization, type=DiscoveryAttribute.Type.EMAIL_DOMAIN)
        .order_by("value")
        .values_list("value", flat=True)
    )
    return [{"type": DiscoveryAttribute.Type.EMAIL_DOMAIN.value, "values": values}] if values else []


@transaction.atomic
def discovery_attributes_set(*, actor: Any, organization: Organization, attributes: Any) -> list[dict[str, Any]]:
    """Replace ``organization``'s discovery attributes: ``[{type: "emailDomain", values: [...]}]``."""
    if organization.is_root:
        raise InvalidInput("ORG-60093", _("The root organization has no discovery attributes."))
    if not isinstance(attributes, list):
        raise InvalidInput("ORG-60092", _("attributes must be a list."), field="attributes")
    domains: list[str] = []
    for item in attributes:
        if not isinstance(item, dict) or item.get("type") != DiscoveryAttribute.Type.EMAIL_DOMAIN:
            raise InvalidInput("ORG-60092", _("Only the emailDomain discovery type is supported."), field="type")
        values = item.get("values")
        if not isinstance(values, list):
            raise InvalidInput("ORG-60092", _("values must be a list of domains."), field="values")
        domains.extend(email_domain_normalize(value) for value in values)
    domains = list(dict.fromkeys(domains))
    if len(domains) > MAX_DOMAINS:
        raise InvalidInput("ORG-60092", _("At most %(n)d domains.") % {"n": MAX_DOMAINS}, field="values")
    taken = (
        DiscoveryAttribute.objects.filter(root_id=organization.root_id, value__in=domains)
        .exclude(organization=organization)
        .values_list("value", flat=True)
    )
    if taken:
        raise InvalidInput(
            "ORG-60094",
            _("Email domain already used by another organization: %(d)s.") % {"d": ", ".join(sorted(taken))},
            field="values",
        )
    DiscoveryAttribute.objects.filter(organization=organization).exclude(value__in=domains).delete()
    existing = set(DiscoveryAttribute.objects.filter(organization=organization).values_list("value", flat=True))
    DiscoveryAttribute.objects.bulk_create(
        DiscoveryAttribute(organization=organization, root_id=organization.root_id, value=domain)
        for domain in domains
        if domain not in existing
    )
    audit_record(
        actor=actor,
        action="organization.discovery.update",
        target_type="organization",
        target_id=organization.pk,
        organization=organization,
        data={"emailDomains": domains},
    )
    return discovery_attributes_of(organization=organization)


def email_domains_in(*, scope: Organization, limit: int = 500) -> list[tuple[Organization, list[str]]]:
    """The organizations of ``scope``'s subtree that own email domains, by name, with their domains."""
    rows = (
        DiscoveryAttribute.objects.filter(
            organization__path__startswith=scope.path, type=DiscoveryAttribute.Type.EMAIL_DOMAIN
        )
        .select_related("organization")
        .order_by("organization__name", "organization_id", "value")[:limit]
    )
    grouped: dict[uuid.UUID, tuple[Organization, list[str]]] = {}
    for row in rows:
        grouped.setdefault(row.organization_id, (row.organization, []))[1].append(row.value)
    return list(grouped.values())


def email_domain_available(*, root: Organization, domain: str) -> bool:
    return not DiscoveryAttribute.objects.filter(root_id=root.pk, value=email_domain_normalize(domain)).exists()


# --- discovery -------------------------------------------------------------------------------------


def _usable(organization: Organization | None, shared_with: Iterable[uuid.UUID] | None) -> Organization | None:
    if organization is None or organization.is_root or not organization.is_active:
        return None
    if shared_with is not None and organization.pk not in set(shared_with):
        return None
    return organization


def organization_discover(
    *,
    root: Organization,
    org_id: str = "",
    handle: str = "",
    name: str = "",
    email: str = "",
    shared_with: Iterable[uuid.UUID] | None = None,
) -> Organization | None:
    """The active sub-organization of ``root``'s tree named by one identifier, or None.

    ``shared_with``: only these organizations count (those the application is shared with). The
    handle and email-domain ways answer only when the root turned them on; an id always does
    (server-side integrations), a name when the root's default parameter is the name."""
    config = discovery_config_get(organization=root)
    tree = Organization.objects.in_root(root).select_related("root")
    found: Organization | None = None
    if org_id:
        try:
            found = tree.filter(pk=uuid.UUID(str(org_id))).first()
        except ValueError:
            found = None
    elif handle:
        if config["orgHandle.enable"]:
            found = tree.filter(handle=handle.strip().lower()).first()
    elif name:
        if config["defaultParam"] == "orgName" or config["orgHandle.enable"]:
            matches = list(tree.filter(name__iexact=name.strip())[:2])
            found = matches[0] if len(matches) == 1 else None  # names are unique among siblings only
    elif email:
        if config["emailDomain.enable"] and "@" in email:
            domain = email.rsplit("@", 1)[1].strip().lower().rstrip(".")
            attribute = (
                DiscoveryAttribute.objects.filter(root_id=root.pk, value=domain).select_related("organization").first()
            )
            found = attribute.organization if attribute is not None else None
    return _usable(found, shared_with)


def organizations_for_picker(*, root: Organization, shared_with: Iterable[uuid.UUID]) -> list[Organization]:
    """The organizations a user may pick: active, in the tree, and the application is shared with."""
    if not discovery_config_get(organization=root)["organizationPicker.enable"]:
        return []
    return list(
        Organization.objects.in_root(root)
        .filter(pk__in=list(shared_with), status=Organization.Status.ACTIVE, parent__isnull=False)
        .order_by("name")[:500]
    )
