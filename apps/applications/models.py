"""Applications (django-oauth-toolkit's swappable model, extended) and the API
resources whose scopes roles grant. The OAuth issue fills in the rest of the
application settings; system APIs are seeded with WSO2's internal scope names."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication


class Application(AbstractApplication):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="applications")
    description = models.CharField(max_length=1024, blank=True, default="")

    class Meta(AbstractApplication.Meta):
        swappable = "OAUTH2_PROVIDER_APPLICATION_MODEL"


class APIResourceQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> APIResourceQuerySet:
        """System resources plus the business APIs of ``organization``'s root."""
        return self.filter(models.Q(organization__isnull=True) | models.Q(organization_id=organization.root_id))


class APIResource(models.Model):
    class Type(models.TextChoices):
        SYSTEM = "SYSTEM", _("System")
        BUSINESS = "BUSINESS", _("Business")

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
