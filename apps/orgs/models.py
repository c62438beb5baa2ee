"""The organization tree: root organizations are tenants, sub-organizations nest
at any depth. ``path`` is a materialized path of ids so that "all descendants"
is one indexed prefix query."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

HANDLE_VALIDATOR = RegexValidator(
    regex=r"^[a-z0-9](?:[a-z0-9.-]{0,62}[a-z0-9])?$",
    message=_("Use 1-64 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit."),
    code="invalid_handle",
)


class OrganizationQuerySet(models.QuerySet):
    def roots(self) -> OrganizationQuerySet:
        return self.filter(parent__isnull=True)

    def in_root(self, root: Organization) -> OrganizationQuerySet:
        return self.filter(root_id=root.root_id)

    def subtree(self, organization: Organization, *, include_self: bool = True) -> OrganizationQuerySet:
        qs = self.filter(path__startswith=organization.path)
        return qs if include_self else qs.exclude(pk=organization.pk)

    def for_org(self, organization: Organization) -> OrganizationQuerySet:
        """What an actor of ``organization`` may see: the organization and its subtree."""
        return self.subtree(organization)


class Organization(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "ACTIVE", _("Active")
        DISABLED = "DISABLED", _("Disabled")

    class Type(models.TextChoices):
        TENANT = "TENANT", _("Tenant")
        STRUCTURAL = "STRUCTURAL", _("Structural")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    handle = models.CharField(_("handle"), max_length=64, unique=True, validators=[HANDLE_VALIDATOR])
    name = models.CharField(_("name"), max_length=255)
    description = models.CharField(_("description"), max_length=1024, blank=True, default="")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.TENANT)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    version = models.CharField(max_length=32, default="v1.0.0")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    root = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=2048, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    attributes = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="org_unique_name_among_siblings"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.handle})"

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def is_ancestor_or_self_of(self, other: Organization) -> bool:
        return other.path.startswith(self.path)

    def ancestor_ids(self) -> list[uuid.UUID]:
        """Ids from the root down to this organization (inclusive)."""
        return [uuid.UUID(part) for part in self.path.strip("/").split("/") if part]

    @property
    def url_prefix(self) -> str:
        """The ``/t/<root>/o/<id>`` prefix under which this organization is served."""
        root_handle = self.handle if self.is_root else self.root.handle
        return f"/t/{root_handle}" if self.is_root else f"/t/{root_handle}/o/{self.id}"


class OrganizationSetting(models.Model):
    """One customized value of one kind of inheritable setting, set in one organization.

    Absence means "inherit": ``apps.orgs.inheritance`` resolves a value from the organization's
    own row, else the nearest ancestor's, else the system default. Deleting the row reverts."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="settings")
    kind = models.CharField(max_length=32)  # "login", "notifications", "oidc_scopes", "discovery", ...
    name = models.CharField(max_length=128)
    value = models.JSONField()
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "name"], name="orgsetting_unique_per_org"),
        ]
        indexes = [models.Index(fields=["kind", "organization"], name="orgsetting_kind_org_idx")]

    def __str__(self) -> str:
        return f"{self.kind}.{self.name} of {self.organization_id}"


class InheritanceVersion(models.Model):
    """A counter per organization tree, bumped in the transaction of every change to an inheritable
    setting in that tree: how every process learns that its cached resolutions are stale."""

    root = models.OneToOneField(Organization, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"inheritance version {self.version} of {self.root_id}"


class DiscoveryAttribute(models.Model):
    """An organization discovery attribute (WSO2: ``{type: "emailDomain", values: [...]}``).

    A value identifies one organization in its tree: an email domain leads to one organization."""

    class Type(models.TextChoices):
        EMAIL_DOMAIN = "emailDomain", _("Email domain")

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="discovery_attributes")
    root = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=32, choices=Type.choices, default=Type.EMAIL_DOMAIN)
    value = models.CharField(max_length=253)

    class Meta:
        ordering = ["type", "value"]
        constraints = [
            models.UniqueConstraint(fields=["root", "type", "value"], name="orgdiscovery_unique_in_tree"),
        ]

    def __str__(self) -> str:
        return f"{self.type}={self.value} -> {self.organization_id}"


class OrganizationAccessToken(models.Model):
    """The organization an access token acts in, when that is not its application's organization:
    a sub-organization user's sign-in to a shared application, or an ``organization_switch`` token.
    Tokens issued in the application's own organization have no row (the hot path stays one INSERT)."""

    access_token_checksum = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    expires = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token in {self.organization_id}"
