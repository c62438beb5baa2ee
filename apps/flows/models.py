"""Flow definitions (a draft and immutable published versions per organization and flow type),
per-type configuration, and the execution context of a flow in progress.

An execution context carries its own copy of the compiled plan, so publishing, rolling back or
deleting a flow never changes a flow in progress: it finishes on the version it started with.
Secrets the context holds (password hashes, one-time code hashes, resolved user ids) live in
``sealed``, encrypted under the deployment master key; passwords are hashed before they are
sealed and never stored in clear."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class FlowType(models.TextChoices):
    REGISTRATION = "REGISTRATION", _("Self registration")
    PASSWORD_RECOVERY = "PASSWORD_RECOVERY", _("Password recovery")
    INVITED_USER_REGISTRATION = "INVITED_USER_REGISTRATION", _("Invited user registration")


class OrgScopedQuerySet(models.QuerySet):
    def for_org(self, organization: object) -> OrgScopedQuerySet:
        return self.filter(organization_id=organization.pk)


class FlowDefinition(models.Model):
    """An organization's own flow of one type: the Builder's draft and which version is live.

    No row, or ``live_version`` null, means the organization uses its nearest ancestor's flow
    (or the shipped default)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    flow_type = models.CharField(max_length=32, choices=FlowType.choices)
    draft_steps = models.JSONField(null=True, blank=True)
    draft_updated = models.DateTimeField(null=True, blank=True)
    draft_updated_by = models.CharField(max_length=255, blank=True, default="")
    live_version = models.PositiveIntegerField(null=True, blank=True)
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "flow_type"], name="flows_one_definition")]

    def __str__(self) -> str:
        return f"{self.flow_type} of {self.organization_id}"


class FlowVersion(models.Model):
    """One published version; never changed after it is written."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    flow_type = models.CharField(max_length=32, choices=FlowType.choices)
    version = models.PositiveIntegerField()
    steps = models.JSONField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by_id = models.CharField(max_length=64, blank=True, default="")
    published_by = models.CharField(max_length=255, blank=True, default="")
    # "publish", "api" (PUT /flow) or "rollback:<n>"
    source = models.CharField(max_length=32, blank=True, default="publish")

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "flow_type", "version"], name="flows_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.flow_type} v{self.version} of {self.organization_id}"


class FlowConfig(models.Model):
    """The enabled flag and completion options of one flow type (absent: inherited or defaults)."""

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    flow_type = models.CharField(max_length=32, choices=FlowType.choices)
    is_enabled = models.BooleanField(default=False)
    completion = models.JSONField(default=dict, blank=True)  # key -> bool
    last_modified = models.DateTimeField(auto_now=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "flow_type"], name="flows_one_config")]

    def __str__(self) -> str:
        return f"{self.flow_type} config of {self.organization_id}"


class FlowExecutionContext(models.Model):
    """A flow in progress (the ``flowId``). ``state`` holds the non-secret progress; ``sealed`` the
    encrypted secrets. A completed flow keeps its row (``completed``) until it expires so that a
    repeated submit gets the same answer instead of a second account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    flow_type = models.CharField(max_length=32, choices=FlowType.choices)
    version = models.PositiveIntegerField(null=True, blank=True)  # null: the shipped default or a draft
    sandbox = models.BooleanField(default=False)
    application_id = models.CharField(max_length=64, blank=True, default="")
    plan = models.JSONField()
    current_node = models.CharField(max_length=128)
    state = models.JSONField(default=dict)
    sealed = models.TextField(blank=True, default="")
    completed = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    objects = OrgScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.flow_type} flow {self.id}"
