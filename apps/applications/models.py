"""Applications (django-oauth-toolkit's swappable model, extended) and the API
resources whose scopes roles grant. The OAuth issue fills in the rest of the
application settings; system APIs are seeded with WSO2's internal scope names."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication


class Application(AbstractApplication):
    """An OAuth 2.0 / OIDC client of one organization.

    django-oauth-toolkit's ``client_secret`` / ``hash_client_secret`` /
    ``authorization_grant_type`` are not used: the secret is kept as a keyed
    SHA-256 (``client_secret_hash``, see ``apps.applications.secrets``) and an
    application may allow several grant types (``grant_types``)."""

    class TokenBinding(models.TextChoices):
        NONE = "none", _("None")
        DPOP = "DPoP", _("DPoP")

    class TokenFormat(models.TextChoices):
        JWT = "JWT", _("JWT")
        OPAQUE = "Default", _("Opaque")

    class ClientAuth(models.TextChoices):
        SECRET_BASIC = "client_secret_basic", "client_secret_basic"
        SECRET_POST = "client_secret_post", "client_secret_post"
        PRIVATE_KEY_JWT = "private_key_jwt", "private_key_jwt"
        NONE = "none", "none"

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="applications")
    # The id the management API and the Console use (WSO2's application ids are UUIDs); the
    # integer primary key stays internal so one tenant cannot count another's applications.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    description = models.CharField(max_length=1024, blank=True, default="")
    template_id = models.CharField(max_length=64, blank=True, default="")
    logo_url = models.URLField(max_length=1024, blank=True, default="")
    access_url = models.URLField(max_length=1024, blank=True, default="")
    discoverable = models.BooleanField(default=False)
    grant_types = models.JSONField(default=list, blank=True)
    pkce_mandatory = models.BooleanField(default=True)
    token_binding = models.CharField(max_length=16, choices=TokenBinding.choices, default=TokenBinding.NONE)
    access_token_format = models.CharField(max_length=16, choices=TokenFormat.choices, default=TokenFormat.JWT)
    access_token_lifetime = models.PositiveIntegerField(default=3600)
    refresh_token_lifetime = models.PositiveIntegerField(default=86400)
    id_token_lifetime = models.PositiveIntegerField(default=3600)
    refresh_rotation = models.BooleanField(default=True)
    token_endpoint_auth_method = models.CharField(
        max_length=32, choices=ClientAuth.choices, default=ClientAuth.SECRET_BASIC
    )
    client_secret_hash = models.CharField(max_length=64, blank=True, default="")
    jwks = models.JSONField(default=dict, blank=True)  # public keys for private_key_jwt
    settings_locked = models.JSONField(default=list, blank=True)  # fields a template makes read-only

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="application_unique_name_per_org"),
        ]

    @property
    def is_public(self) -> bool:
        return self.client_type == self.CLIENT_PUBLIC


class AuthorizedAPI(models.Model):
    """An application's authorization to request some scopes of an API resource (WSO2 "authorized APIs")."""

    class Policy(models.TextChoices):
        RBAC = "RBAC", _("Role-based")
        NO_POLICY = "No Policy", _("No policy")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        "applications.Application", on_delete=models.CASCADE, related_name="authorized_apis"
    )
    api_resource = models.ForeignKey("applications.APIResource", on_delete=models.CASCADE, related_name="+")
    policy = models.CharField(max_length=16, choices=Policy.choices, default=Policy.RBAC)
    scopes = models.ManyToManyField("applications.Scope", related_name="+", blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "api_resource"], name="authorized_api_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} -> {self.api_resource_id}"


class APIResourceQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> APIResourceQuerySet:
        """System resources plus the business APIs of ``organization``'s root."""
        return self.filter(models.Q(organization__isnull=True) | models.Q(organization_id=organization.root_id))


class APIResource(models.Model):
    class Type(models.TextChoices):
        SYSTEM = "SYSTEM", _("System")
        BUSINESS = "BUSINESS", _("Business")
        MCP = "MCP", _("MCP server")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Null for system APIs, which every organization shares.
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="api_resources"
    )
    name = models.CharField(max_length=255)
    identifier = models.CharField(max_length=512)
    description = models.CharField(max_length=1024, blank=True, default="")
    type = models.CharField(max_length=16, choices=Type.choices, default=Type.BUSINESS)
    requires_authorization = models.BooleanField(default=True)

    objects = APIResourceQuerySet.as_manager()

    class Meta:
        ordering = ["type", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "identifier"], name="apiresource_unique_identifier", nulls_distinct=False
            )
        ]

    def __str__(self) -> str:
        return self.name


class Scope(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    api_resource = models.ForeignKey(APIResource, on_delete=models.CASCADE, related_name="scopes")
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["api_resource", "name"], name="scope_unique_per_resource")]

    def __str__(self) -> str:
        return self.name


class ApplicationShare(models.Model):
    """A sharing rule of an application with organizations of its owner's tree (WSO2 "Shared access").

    ``organization`` null: every organization of the tree (``ALL_EXISTING_*`` policies); otherwise one
    organization, and with ``SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN`` its whole subtree.
    Which organizations end up with the application, and which roles, is resolved by
    ``apps.applications.services.sharing`` into ``SharedApplication`` rows and shared ``Role`` copies."""

    class Policy(models.TextChoices):
        ALL_EXISTING_ORGS_ONLY = "ALL_EXISTING_ORGS_ONLY", _("All existing organizations")
        ALL_EXISTING_AND_FUTURE_ORGS = "ALL_EXISTING_AND_FUTURE_ORGS", _("All existing and future organizations")
        SELECTED_ORG_ONLY = "SELECTED_ORG_ONLY", _("This organization only")
        SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN = (
            "SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN",
            _("This organization and all its existing and future sub-organizations"),
        )

    class RoleSharing(models.TextChoices):
        ALL = "ALL", _("All roles")
        NONE = "NONE", _("No roles")
        SELECTED = "SELECTED", _("Selected roles")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="shares")
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    policy = models.CharField(max_length=64, choices=Policy.choices)
    role_sharing = models.CharField(max_length=16, choices=RoleSharing.choices, default=RoleSharing.ALL)
    roles = models.ManyToManyField("users.Role", related_name="+", blank=True)  # origin roles, for SELECTED
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "organization"], name="application_share_unique", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} -> {self.organization_id or 'all'} ({self.policy})"


class SharedApplication(models.Model):
    """The application is usable in ``organization`` (resolved from its ``ApplicationShare`` rules)."""

    application = models.ForeignKey("applications.Application", on_delete=models.CASCADE, related_name="shared_into")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="shared_applications")
    rule = models.ForeignKey(ApplicationShare, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "organization"], name="shared_application_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} in {self.organization_id}"
