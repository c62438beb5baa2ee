"""What the OAuth provider stores beyond django-oauth-toolkit's token models."""

from __future__ import annotations

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
