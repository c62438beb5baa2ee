"""Signing keys per root organization and protocol. Private keys are stored
encrypted with the deployment's master key (``IAM_MASTER_KEY``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from apps.orgs.models import Organization


class SigningKeyQuerySet(models.QuerySet):
    def for_org(self, organization: Organization) -> SigningKeyQuerySet:
        """Keys belong to the root organization: any organization of a tree sees its root's keys."""
        return self.filter(organization_id=organization.root_id)

    def publishable(self, now: datetime) -> SigningKeyQuerySet:
        """Keys that verify tokens at ``now``: the active one and those retiring but not yet past their date."""
        return self.filter(
            models.Q(status=SigningKey.Status.ACTIVE)
            | models.Q(status=SigningKey.Status.RETIRING, retire_after__gt=now)
        )


class SigningKey(models.Model):
    class Protocol(models.TextChoices):
        OAUTH = "oauth", _("OAuth 2.0 / OpenID Connect")
        SAML = "saml", _("SAML")
        WS_TRUST = "ws_trust", _("WS-Trust")
        WS_FEDERATION = "ws_federation", _("WS-Federation")

    class Algorithm(models.TextChoices):
        RS256 = "RS256", "RS256 (RSA 2048+)"
        ES256 = "ES256", "ES256 (EC P-256)"

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active: signs new tokens")
        RETIRING = "retiring", _("Retiring: still published for verification")
        RETIRED = "retired", _("Retired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="signing_keys")
    protocol = models.CharField(max_length=16, choices=Protocol.choices, default=Protocol.OAUTH)
    kid = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=8, choices=Algorithm.choices, default=Algorithm.RS256)
    key_size = models.PositiveIntegerField(default=2048)
    public_jwk = models.JSONField()
    private_key_encrypted = models.TextField()  # base64(nonce || AES-256-GCM ciphertext) of the PEM
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)
    retire_after = models.DateTimeField(null=True, blank=True)  # leave the JWKS after this moment

    objects = SigningKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "protocol"],
                condition=models.Q(status="active"),
                name="signingkey_one_active_per_org_protocol",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.algorithm}, {self.status})"
