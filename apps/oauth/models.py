"""What the OAuth provider stores beyond django-oauth-toolkit's token models."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


class CodeRedemption(models.Model):
    """An authorization code that was exchanged, kept so a replay can be caught.

    RFC 6749 §4.1.2: a code used twice is refused and the tokens issued from it
    are revoked. The code itself (its grant row) is deleted when exchanged;
    this row remembers its checksum and which tokens it produced until they
    can no longer be alive (``expires``)."""

    code_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    # A plain id, not a foreign key: the token may be gone already (revoked, swept), and
    # django-oauth-toolkit's swappable token models have no settings name to depend on.
    access_token_id = models.BigIntegerField(null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True)
    expires = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"CodeRedemption #{self.pk}"


class DeviceAuthorization(models.Model):
    """An RFC 8628 device authorization, from the device's request until its token is issued.

    Only a SHA-256 checksum of the device code and a keyed hash of the user code
    are stored (``apps.oauth.device``). ``scope`` holds the requested scopes
    until the user approves, then the scopes granted; ``interval`` grows by five
    seconds each time the device polls too fast (RFC 8628 §3.5 ``slow_down``)."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        APPROVED = "approved", "approved"
        DENIED = "denied", "denied"
        REDEEMED = "redeemed", "redeemed"

    device_code_checksum = models.CharField(max_length=64, unique=True)
    user_code_hash = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    scope = models.TextField(blank=True, default="")
    resource = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    auth_time = models.BigIntegerField(null=True, blank=True)
    interval = models.PositiveIntegerField(default=5)
    last_polled = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"DeviceAuthorization #{self.pk} ({self.status})"


class UsedJti(models.Model):
    """A JWT id that may be used once (``apps.oauth.replay``), in the database so
    every process sees it: private_key_jwt client assertions, and any other
    single-use JWT (``purpose`` keeps the namespaces apart)."""

    purpose = models.CharField(max_length=32)
    jti_hash = models.CharField(max_length=64)  # SHA-256 of issuer and jti
    expires = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["purpose", "jti_hash"], name="oauth_usedjti_unique")]

    def __str__(self) -> str:
        return f"UsedJti {self.purpose}:{self.jti_hash[:12]}"


class DPoPProof(models.Model):
    """An accepted DPoP proof (RFC 9449 §11.1), shared by every process: its key and ``jti``
    may not be used again while the proof could still be accepted (``apps.oauth.dpop``).

    A proof that minted an access token also records the binding: the token's checksum and
    the key thumbprint (``jkt``). Such a row lives as long as the token and any refresh token
    issued with it, and token reads join it (one statement binds, none looks up)."""

    replay_key = models.CharField(max_length=64, unique=True)  # SHA-256 of the jkt and the jti
    jkt = models.CharField(max_length=43)  # RFC 7638 SHA-256 thumbprint, base64url
    access_token_checksum = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"DPoPProof {self.jkt[:12]}"


class Consent(models.Model):
    """A user's remembered consent: the scopes they allowed an application to receive.

    Asked for applications that are not first-party (``skip_authorization`` off,
    e.g. every dynamically registered client). A later request for scopes within
    the remembered set is not asked again; a wider one is."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    scopes = models.JSONField(default=list)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "application"], name="oauth_consent_unique")]

    def __str__(self) -> str:
        return f"Consent {self.user_id} -> {self.application_id}"


class PushedAuthorizationRequest(models.Model):
    """RFC 9126: an authorization request a client pushed to ``/oauth2/par``.

    Only the checksum of its ``request_uri`` is stored. The first authorize visit
    binds it to that browser session (the checksum of a random value kept in the
    session) and gives it time for the sign-in; the code or error response that
    ends the request deletes it."""

    request_uri_checksum = models.CharField(max_length=64, unique=True)
    application = models.ForeignKey(oauth2_settings.APPLICATION_MODEL, on_delete=models.CASCADE, related_name="+")
    parameters = models.JSONField(default=dict)
    browser_binding = models.CharField(max_length=64, blank=True, default="")
    expires = models.DateTimeField(db_index=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"PushedAuthorizationRequest #{self.pk}"
