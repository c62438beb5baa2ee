"""Attribute (claim) definitions of a root organization (tenant).

* ``LocalClaim``: the canonical attribute, ``http://wso2.org/claims/<name>``,
  with its data type, rules and input format, and where a user's value lives
  (``storage``: a ``User`` column, a derived value, or a key of ``User.attributes``).
* ``ClaimDialect`` / ``ExternalClaim``: other vocabularies (SCIM schemas, OIDC)
  whose claims map 1:1 onto local claims.
* ``OIDCScope``: which OIDC claims a scope releases.

Sub-organizations own no rows: they read their root's definitions
(``apps.attributes.selectors.definitions_owner``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

LOCAL_DIALECT_URI = "http://wso2.org/claims"
LOCAL_CLAIM_PREFIX = f"{LOCAL_DIALECT_URI}/"
OIDC_DIALECT_URI = "http://wso2.org/oidc/claim"
SCIM_CORE_DIALECT_URI = "urn:ietf:params:scim:schemas:core:2.0"
SCIM_USER_DIALECT_URI = "urn:ietf:params:scim:schemas:core:2.0:User"
SCIM_ENTERPRISE_DIALECT_URI = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIM_WSO2_DIALECT_URI = "urn:scim:wso2:schema"
SCIM_CUSTOM_DIALECT_URI = "urn:scim:schemas:extension:custom:User"
SCIM_EXTENSION_DIALECTS = (SCIM_ENTERPRISE_DIALECT_URI, SCIM_WSO2_DIALECT_URI, SCIM_CUSTOM_DIALECT_URI)

# User columns that hold built-in claims, and values derived from the account.
COLUMN_STORAGE = ("username", "email", "given_name", "family_name", "phone")
DERIVED_STORAGE = ("id", "created", "last_modified", "display_name", "state:locked", "state:disabled")


class DataType(models.TextChoices):
    STRING = "string", _("Text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal")
    BOOLEAN = "boolean", _("Boolean")
    DATE_TIME = "date_time", _("Date and time")
    COMPLEX = "complex", _("Object")


class InputFormat(models.TextChoices):
    TEXT_INPUT = "text_input", _("Text input")
    NUMBER_INPUT = "number_input", _("Number input")
    DATE_PICKER = "date_picker", _("Date-time picker")
    DROPDOWN = "dropdown", _("Dropdown")
    RADIO_GROUP = "radio_group", _("Radio group")
    MULTI_SELECT_DROPDOWN = "multi_select_dropdown", _("Multi-select dropdown")
    CHECKBOX_GROUP = "checkbox_group", _("Checkbox group")
    CHECKBOX = "checkbox", _("Checkbox")
    TOGGLE = "toggle", _("Toggle")


class LocalClaim(models.Model):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="local_claims")
    claim_uri = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")
    data_type = models.CharField(max_length=16, choices=DataType.choices, default=DataType.STRING)
    multi_valued = models.BooleanField(default=False)
    required = models.BooleanField(default=False)
    read_only = models.BooleanField(default=False)
    unique = models.BooleanField(default=False)
    supported_by_default = models.BooleanField(default=False)
    regex = models.CharField(max_length=255, blank=True, default="")
    min_length = models.PositiveIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    min_value = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    max_value = models.DecimalField(max_digits=30, decimal_places=10, null=True, blank=True)
    display_order = models.IntegerField(default=0)
    input_format = models.CharField(max_length=32, choices=InputFormat.choices, blank=True, default="")
    # [{"label": ..., "value": ...}]: an "Options" attribute is a string with canonical values.
    canonical_values = models.JSONField(default=list, blank=True)
    # Claim URIs of the sub-attributes of a complex (object) attribute.
    sub_attributes = models.JSONField(default=list, blank=True)
    storage = models.CharField(max_length=128)
    system = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_order", "claim_uri"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "claim_uri"], name="localclaim_unique_uri_per_org"),
            models.UniqueConstraint(fields=["organization", "storage"], name="localclaim_unique_storage_per_org"),
        ]

    def __str__(self) -> str:
        return self.claim_uri

    @property
    def name(self) -> str:
        """``employeeNumber`` for ``http://wso2.org/claims/employeeNumber``."""
        return self.claim_uri.removeprefix(LOCAL_CLAIM_PREFIX)

    @property
    def in_attributes(self) -> bool:
        """True when user values live in ``User.attributes`` under ``storage``."""
        return self.storage not in COLUMN_STORAGE and self.storage not in DERIVED_STORAGE


class ClaimDialect(models.Model):
    class Kind(models.TextChoices):
        LOCAL = "local", _("Local")
        SCIM = "scim", _("SCIM 2.0")
        OIDC = "oidc", _("OpenID Connect")
        CUSTOM = "custom", _("Custom")

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="claim_dialects")
    dialect_uri = models.CharField(max_length=255)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CUSTOM)
    system = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dialect_uri"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "dialect_uri"], name="claimdialect_unique_uri_per_org"),
        ]

    def __str__(self) -> str:
        return self.dialect_uri


class ExternalClaim(models.Model):
    dialect = models.ForeignKey(ClaimDialect, on_delete=models.CASCADE, related_name="claims")
    claim_uri = models.CharField(max_length=255)
    # PROTECT: a local claim still mapped by an external claim cannot be deleted (CMT-50031).
    local_claim = models.ForeignKey(LocalClaim, on_delete=models.PROTECT, related_name="external_claims")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim_uri"]
        constraints = [
            models.UniqueConstraint(fields=["dialect", "claim_uri"], name="externalclaim_unique_uri_per_dialect"),
        ]

    def __str__(self) -> str:
        return self.claim_uri


class OIDCScope(models.Model):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="oidc_scopes")
    name = models.CharField(max_length=255)
    display_name = models.CharField(max_length=255)
    description = models.CharField(max_length=1024, blank=True, default="")
    # External claims of the organization's OIDC dialect.
    claims = models.ManyToManyField(ExternalClaim, related_name="oidc_scopes", blank=True)
    system = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="oidcscope_unique_name_per_org")]

    def __str__(self) -> str:
        return self.name
