"""Federated identity providers (upstream OpenID Connect / OAuth 2.0 IdPs) of an organization,
the associations of federated identities with local users, and pending authorization requests.

The client secret is sealed with the deployment master key (``apps.idp.secrets``); the
pending request's state is stored only as a hash, so a database read cannot complete a
sign-in that is in progress."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> OrgScopedQuerySet:
        return self.filter(organization_id=getattr(organization, "pk", None))


class IdentityProvider(models.Model):
    """An upstream IdP ("connection" in the WSO2 Console) users can sign in with."""

    class Protocol(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect")
        OAUTH2 = "oauth2", _("OAuth 2.0 (user info from an API endpoint)")

    class JitScheme(models.TextChoices):
        PROVISION_SILENTLY = "PROVISION_SILENTLY", _("Create the account silently")
        PROMPT_CONSENT = "PROMPT_CONSENT", _("Show the user the details and ask for missing ones")

    class SyncMethod(models.TextChoices):
        OVERRIDE_ALL = "OVERRIDE_ALL", _("Override local values with the IdP's on every sign-in")
        PRESERVE_LOCAL = "PRESERVE_LOCAL", _("Fill only values the local account does not have")
        NONE = "NONE", _("Never update the local account")

    class TokenAuth(models.TextChoices):
        BASIC = "client_secret_basic", _("HTTP Basic (client_secret_basic)")
        POST = "client_secret_post", _("Form fields (client_secret_post)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="identity_providers")
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=1024, blank=True, default="")
    image_url = models.CharField(_("image URL"), max_length=2048, blank=True, default="")
    template_id = models.CharField(max_length=32, default="oidc")
    is_enabled = models.BooleanField(default=True)
    protocol = models.CharField(max_length=8, choices=Protocol.choices, default=Protocol.OIDC)
    # Endpoints: typed in, copied from a template, or fetched from the discovery document.
    discovery_url = models.CharField(max_length=2048, blank=True, default="")
    issuer = models.CharField(max_length=2048, blank=True, default="")
    authorization_endpoint = models.CharField(max_length=2048, blank=True, default="")
    token_endpoint = models.CharField(max_length=2048, blank=True, default="")
    userinfo_endpoint = models.CharField(max_length=2048, blank=True, default="")
    jwks_uri = models.CharField(max_length=2048, blank=True, default="")
    metadata_fetched_at = models.DateTimeField(null=True, blank=True)
    client_id = models.CharField(max_length=255, blank=True, default="")
    client_secret_sealed = models.TextField(blank=True, default="")
    token_endpoint_auth_method = models.CharField(max_length=32, choices=TokenAuth.choices, default=TokenAuth.BASIC)
    scopes = models.JSONField(default=list)  # e.g. ["openid", "email", "profile"]
    pkce = models.BooleanField(default=True)
    use_userinfo = models.BooleanField(default=True)  # merge the userinfo response into the ID token's claims
    subject_claim = models.CharField(max_length=255, default="sub")  # GitHub: "id"
    # [{"federated": "email", "local": "http://wso2.org/claims/emailaddress"}, ...]
    claim_mappings = models.JSONField(default=list)
    jit_enabled = models.BooleanField(default=False)
    jit_scheme = models.CharField(max_length=32, choices=JitScheme.choices, default=JitScheme.PROVISION_SILENTLY)
    attribute_sync = models.CharField(max_length=16, choices=SyncMethod.choices, default=SyncMethod.NONE)
    associate_local_user = models.BooleanField(default=False)
    skip_jit_for_lookup_failure = models.BooleanField(default=False)
    # Up to two {"federated": ..., "local": <local claim URI>}: a local user matching all is linked.
    lookup_mappings = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="idp_unique_name_per_org")]

    def __str__(self) -> str:
        return self.name


class FederatedAssociation(models.Model):
    """ "This federated identity (IdP + subject there) is this local user"."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="federated_associations")
    idp = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="associations")
    federated_user_id = models.CharField(max_length=255)
    created = models.DateTimeField(default=timezone.now)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["idp", "federated_user_id"], name="idp_association_unique_subject"),
        ]
        indexes = [models.Index(fields=["user", "idp"], name="idp_association_user_idx")]

    def __str__(self) -> str:
        return f"{self.idp_id}:{self.federated_user_id} -> {self.user_id}"


class FederatedAuthRequest(models.Model):
    """One authorization request sent to an upstream IdP, waiting for its callback.

    ``purpose`` names who continues after the callback (``login``: the login portal; a flow
    executor registers its own); ``reference`` is that continuation's id (a login flow id)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    idp = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    state_hash = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=128)
    code_verifier = models.CharField(max_length=128, blank=True, default="")
    redirect_uri = models.CharField(max_length=2048)
    purpose = models.CharField(max_length=32, default="login")
    reference = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires"], name="idp_authreq_expires_idx")]

    def __str__(self) -> str:
        return f"authorization request {self.pk} to {self.idp_id}"
