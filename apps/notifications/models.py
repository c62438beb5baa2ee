"""Notification senders (email, SMS), templates, the message log, one-time codes and link tokens.

Secrets (SMTP password, OAuth2 client secret, SMS credentials) and message bodies are sealed
with the deployment master key (``apps.notifications.secrets``); codes and link secrets are
stored only as keyed HMACs."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> OrgScopedQuerySet:
        return self.filter(organization=organization)


class EmailSender(models.Model):
    """The SMTP provider of a root organization (WSO2 names it ``EmailPublisher``)."""

    class Security(models.TextChoices):
        NONE = "none", _("None (plain SMTP)")
        STARTTLS = "starttls", _("STARTTLS")
        TLS = "tls", _("Implicit TLS")

    class AuthType(models.TextChoices):
        NONE = "NONE", _("No authentication")
        BASIC = "BASIC", _("Username and password")
        CLIENT_CREDENTIAL = "CLIENT_CREDENTIAL", _("OAuth2 client credentials (XOAUTH2)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64, default="EmailPublisher")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=587)
    security = models.CharField(max_length=16, choices=Security.choices, default=Security.STARTTLS)
    from_address = models.EmailField(max_length=254)
    from_name = models.CharField(max_length=255, blank=True, default="")
    auth_type = models.CharField(max_length=32, choices=AuthType.choices, default=AuthType.BASIC)
    username = models.CharField(max_length=255, blank=True, default="")
    password_sealed = models.TextField(blank=True, default="")
    token_endpoint = models.URLField(max_length=1024, blank=True, default="")
    client_id = models.CharField(max_length=255, blank=True, default="")
    client_secret_sealed = models.TextField(blank=True, default="")
    scopes = models.CharField(max_length=1024, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="notifications_one_email_sender")]

    def __str__(self) -> str:
        return f"{self.name} ({self.host}:{self.port})"


class SmsSender(models.Model):
    """A generic HTTP SMS provider; vendor presets only pre-fill these fields."""

    class ContentType(models.TextChoices):
        JSON = "JSON", "JSON"
        FORM = "FORM", _("Form (urlencoded)")

    class AuthType(models.TextChoices):
        NONE = "NONE", _("None")
        BASIC = "BASIC", _("Basic")
        BEARER = "BEARER", _("Bearer token")
        API_KEY = "API_KEY", _("API key header")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=64, default="SMSPublisher")
    provider = models.CharField(max_length=32, default="custom")
    url = models.URLField(max_length=2048)
    method = models.CharField(max_length=8, default="POST")
    content_type = models.CharField(max_length=8, choices=ContentType.choices, default=ContentType.JSON)
    headers = models.JSONField(default=dict, blank=True)
    body_template = models.TextField(blank=True, default="")
    sender = models.CharField(max_length=64, blank=True, default="")
    auth_type = models.CharField(max_length=16, choices=AuthType.choices, default=AuthType.NONE)
    auth_username = models.CharField(max_length=255, blank=True, default="")
    auth_header = models.CharField(max_length=128, blank=True, default="")
    secret_sealed = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="notifications_one_sms_sender")]

    def __str__(self) -> str:
        return f"{self.name} ({self.provider})"


class NotificationTemplate(models.Model):
    """An organization's override of a shipped template for one type and locale."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    template_type = models.CharField(max_length=64)
    locale = models.CharField(max_length=16)
    subject = models.CharField(max_length=998, blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    body_text = models.TextField(blank=True, default="")
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "template_type", "locale"], name="notifications_template_uq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template_type}/{self.locale}"


class Message(models.Model):
    """One email or SMS on its way out; the Console's message log.

    ``subject``/``body_redacted`` hold what an admin may see (codes and links masked); the real
    rendered content is sealed in ``payload_sealed`` and wiped once the message is sent or dead."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", "SMS"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed (will retry)")
        DEAD = "dead", _("Failed (gave up)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    recipient = models.CharField(max_length=320)
    template_type = models.CharField(max_length=64)
    locale = models.CharField(max_length=16, default="en")
    subject = models.CharField(max_length=998, blank=True, default="")
    body_redacted = models.TextField(blank=True, default="")
    payload_sealed = models.TextField(blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    last_error = models.TextField(blank=True, default="")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # A code or link that expires is not worth sending late: past this the message is given up.
    expires_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notifications_msg_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class OneTimeCode(models.Model):
    """A code sent to a user for one purpose; only its keyed HMAC is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=64)
    channel = models.CharField(max_length=8, choices=Message.Channel.choices)
    code_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    consumed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(default=timezone.now)
    # How many times this journey's code was sent again (0 for the first code; see ``max_resends``).
    resend_count = models.PositiveSmallIntegerField(default=0)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "created"], name="notifications_otp_user_idx")]

    def __str__(self) -> str:
        return f"OTP {self.purpose} for {self.user_id}"


class LinkToken(models.Model):
    """A single-use link secret (confirmation, magic, reset); only its keyed HMAC is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey("users.User", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=64)
    secret_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    invalidated_at = models.DateTimeField(null=True, blank=True)
    resend_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose"], name="notifications_link_user_idx")]

    def __str__(self) -> str:
        return f"link {self.purpose} for {self.user_id}"


class VerificationMethod(models.TextChoices):
    LINK = "link", _("Email link")
    OTP = "otp", _("Email OTP")


class PasswordSetupMethod(models.TextChoices):
    """How an invited user (ask password) or a user forced to reset gets their way in."""

    EMAIL_LINK = "email_link", _("Email link")
    EMAIL_OTP = "email_otp", _("Email OTP")
    SMS_OTP = "sms_otp", _("SMS OTP")
    OFFLINE = "offline", _("Offline (the admin hands over the code)")


class NotificationSettings(models.Model):
    """OTP and delivery settings of a root organization; absent means the defaults."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    otp_length = models.PositiveSmallIntegerField(default=6)
    otp_use_digits = models.BooleanField(default=True)
    otp_use_uppercase = models.BooleanField(default=False)
    otp_use_lowercase = models.BooleanField(default=False)
    otp_ttl_seconds = models.PositiveIntegerField(default=600)
    otp_max_attempts = models.PositiveSmallIntegerField(default=5)
    otp_resend_cooldown_seconds = models.PositiveIntegerField(default=30)
    link_ttl_seconds = models.PositiveIntegerField(default=86400)
    default_locale = models.CharField(max_length=16, default="en")
    # How often a user (or an admin for them) may have a code or link sent again per journey.
    max_resends = models.PositiveSmallIntegerField(default=5)
    # Account lifecycle (WSO2's user-email-verification, ask-password and admin-forced-password-reset
    # connectors): which channel each journey uses and how long its code or link lives.
    email_verification_method = models.CharField(
        max_length=16, choices=VerificationMethod.choices, default=VerificationMethod.LINK
    )
    email_verification_ttl_seconds = models.PositiveIntegerField(default=86400)
    email_verify_on_update = models.BooleanField(default=True)
    mobile_verify_on_update = models.BooleanField(default=True)
    ask_password_method = models.CharField(
        max_length=16, choices=PasswordSetupMethod.choices, default=PasswordSetupMethod.EMAIL_LINK
    )
    ask_password_ttl_seconds = models.PositiveIntegerField(default=86400)
    admin_reset_method = models.CharField(
        max_length=16, choices=PasswordSetupMethod.choices, default=PasswordSetupMethod.EMAIL_LINK
    )
    admin_reset_ttl_seconds = models.PositiveIntegerField(default=86400)
    last_modified = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"notification settings of {self.organization_id}"
