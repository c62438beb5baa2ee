"""Principals (humans and AI agents), groups and roles, all scoped to an organization."""

from __future__ import annotations

import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> OrgScopedQuerySet:
        return self.filter(organization_id=organization.pk)


class UserManager(BaseUserManager.from_queryset(OrgScopedQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        """Usernames are unique per organization; without one, the default root organization is meant."""
        from django.conf import settings

        return self.get(
            organization__handle=settings.IAM_DEFAULT_ROOT_HANDLE,
            organization__parent__isnull=True,
            username__iexact=username,
        )


class User(AbstractBaseUser):
    class Kind(models.TextChoices):
        USER = "user", _("User")
        AGENT = "agent", _("Agent")

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        LOCKED = "locked", _("Locked")
        DISABLED = "disabled", _("Disabled")
        PENDING_EMAIL_VERIFICATION = "pending_email_verification", _("Pending email verification")
        PENDING_PASSWORD_RESET = "pending_password_reset", _("Pending password reset")
        PENDING_ADMIN_APPROVAL = "pending_admin_approval", _("Pending approval")
        PENDING_ASK_PASSWORD = "pending_ask_password", _("Pending initial password setup")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="users")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.USER)
    username = models.CharField(_("username"), max_length=150)
    email = models.EmailField(_("email"), max_length=254, blank=True, default="")
    given_name = models.CharField(_("first name"), max_length=150, blank=True, default="")
    family_name = models.CharField(_("last name"), max_length=150, blank=True, default="")
    phone = models.CharField(_("mobile"), max_length=32, blank=True, default="")
    attributes = models.JSONField(_("custom attributes"), default=dict, blank=True)
    state = models.CharField(max_length=32, choices=State.choices, default=State.ACTIVE)
    locked_until = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "username"], name="user_unique_username_per_org"),
        ]
        indexes = [models.Index(fields=["organization", "email"], name="user_org_email_idx")]

    def __str__(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:  # Django's login checks this
        return self.state == self.State.ACTIVE

    @property
    def display_name(self) -> str:
        full = f"{self.given_name} {self.family_name}".strip()
        return full or self.username


class Group(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("name"), max_length=255)
    description = models.CharField(_("description"), max_length=1024, blank=True, default="")
    members = models.ManyToManyField(User, related_name="member_groups", blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="group_unique_name_per_org")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        """A copy of a role of an ancestor organization: assignable here, not editable."""
        return self.shared_from_id is not None


class Role(models.Model):
    """A set of permissions (API resource scopes) for an organization or one application."""

    class Audience(models.TextChoices):
        ORGANIZATION = "organization", _("Organization")
        APPLICATION = "application", _("Application")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(_("name"), max_length=255)
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.ORGANIZATION)
    # The application this role belongs to when audience == application.
    audience_application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.CASCADE, related_name="roles"
    )
    permissions = models.ManyToManyField("applications.Scope", related_name="roles", blank=True)
    # A role shared into a sub-organization with its application: a read-only copy of this origin
    # role (name and permissions follow it; see ``apps.applications.services.sharing``).
    shared_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="shared_copies"
    )
    users = models.ManyToManyField(User, related_name="roles", blank=True)
    groups = models.ManyToManyField(Group, related_name="roles", blank=True)
    created = models.DateTimeField(default=timezone.now)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "audience", "audience_application", "name"],
                name="role_unique_name_per_audience",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_shared(self) -> bool:
        """A copy of a role of an ancestor organization: assignable here, not editable."""
        return self.shared_from_id is not None
