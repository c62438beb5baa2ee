"""Login state: SSO sessions, login transactions, sequences, MFA credentials, lockout and settings."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class AuthSession(models.Model):
    """A server-side SSO session: one browser signed in to one organization.

    The Django session holds only this row's id; revoking the row ends the
    browser's sign-in on its next request (``AuthSessionMiddleware``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="auth_sessions")
    created = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    remember_me = models.BooleanField(default=False)
    ip = models.CharField(max_length=64, blank=True, default="")
    user_agent = models.CharField(max_length=400, blank=True, default="")
    auth_time = models.BigIntegerField()  # epoch seconds of the last (step-up) authentication
    methods = models.JSONField(default=list)  # authenticator ids done in this session, e.g. ["basic", "totp"]
    clients = models.JSONField(default=list)  # client_ids that authenticated the user through this session
    revoked_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["user", "revoked_at"], name="authn_session_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} session {self.pk}"

    def is_live(self, now: object = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires > now


class LoginFlow(models.Model):
    """One login transaction: the planned steps for an application, bound to a browser session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    client_id = models.CharField(max_length=255, blank=True, default="")
    next_url = models.CharField(max_length=4096, blank=True, default="")
    steps = models.JSONField(default=list)  # the plan: list of steps, each a list of authenticator ids
    step_index = models.PositiveSmallIntegerField(default=0)
    user = models.ForeignKey("users.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    methods = models.JSONField(default=list)  # authenticators completed in this flow
    remember_me = models.BooleanField(default=False)
    state = models.JSONField(default=dict)  # per-step scratch: chosen authenticator, password expired ...
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()

    def __str__(self) -> str:
        return f"login flow {self.pk}"


class AuthSequence(models.Model):
    """An application's login steps; no row means ``[["basic"]]``."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="auth_sequence"
    )
    steps = models.JSONField(default=list)
    script = models.TextField(blank=True, default="")  # conditional authentication (JavaScript)
    script_enabled = models.BooleanField(default=False)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"sequence of application {self.application_id}"


class AppLoginSettings(models.Model):
    """Per-application login settings kept outside the application model."""

    application = models.OneToOneField(
        "applications.Application", on_delete=models.CASCADE, related_name="login_settings"
    )
    backchannel_logout_uri = models.URLField(max_length=2000, blank=True, default="")

    def __str__(self) -> str:
        return f"login settings of application {self.application_id}"


class TotpDevice(models.Model):
    user = models.OneToOneField("users.User", on_delete=models.CASCADE, related_name="totp_device")
    secret_sealed = models.TextField()
    created = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)  # a code's time step is accepted once

    def __str__(self) -> str:
        return f"TOTP of {self.user_id}"


class RecoveryCode(models.Model):
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"recovery code of {self.user_id}"


class LoginSettings(models.Model):
    """An organization's "login & registration" settings; defaults when absent (see ``login_settings_for``)."""

    organization = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, related_name="login_settings")
    lockout_enabled = models.BooleanField(default=True)
    lockout_max_failures = models.PositiveSmallIntegerField(default=5)
    lockout_minutes = models.PositiveIntegerField(default=5)
    lockout_factor = models.PositiveSmallIntegerField(default=2)  # each further lock lasts factor times longer
    notify_on_lock = models.BooleanField(default=True)
    password_min_length = models.PositiveSmallIntegerField(default=8)
    password_max_length = models.PositiveSmallIntegerField(default=256)
    password_min_upper = models.PositiveSmallIntegerField(default=0)
    password_min_lower = models.PositiveSmallIntegerField(default=0)
    password_min_digits = models.PositiveSmallIntegerField(default=0)
    password_min_special = models.PositiveSmallIntegerField(default=0)
    password_history_count = models.PositiveSmallIntegerField(default=0)
    password_expiry_days = models.PositiveIntegerField(default=0)
    session_hours = models.PositiveIntegerField(default=8)
    remember_me_days = models.PositiveIntegerField(default=14)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"login settings of {self.organization_id}"


class PasswordHistory(models.Model):
    """Hashes of a user's earlier passwords; the newest row's time is when the password last changed."""

    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="password_history")
    password_hash = models.CharField(max_length=256)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"password history of {self.user_id}"


class AccountLockout(models.Model):
    """Failed sign-in counter per account, and how many times it was locked (exponential lock time)."""

    user = models.OneToOneField("users.User", on_delete=models.CASCADE, related_name="lockout")
    failed_attempts = models.PositiveIntegerField(default=0)
    lock_count = models.PositiveIntegerField(default=0)
    last_failure = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"lockout counter of {self.user_id}"


class PasskeyCredential(models.Model):
    """A WebAuthn credential (passkey) registered in My Account."""

    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.CharField(max_length=1400, unique=True)  # base64url
    public_key = models.TextField()  # base64url COSE key
    sign_count = models.BigIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True, default="")
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"passkey {self.name or self.pk} of {self.user_id}"
