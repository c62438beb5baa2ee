"""Bearer tokens (issued by the OAuth provider) and HTTP Basic (WSO2 allows it
for automation; ``IAM_API_BASIC_AUTH=false`` turns it off).

Either way the principal must belong to the organization in the URL or to one
of its ancestors, and ``request.auth`` becomes a ``Grant`` carrying the scopes
the principal holds."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.orgs.models import Organization
from apps.users.models import User
from apps.users.selectors import user_scope_names


@dataclass(frozen=True)
class Grant:
    """What the caller authenticated with and the scopes it may use."""

    scopes: frozenset[str]
    organization: Organization
    token: Any = None
    method: str = "bearer"


def _principal_may_act_in(principal_org: Organization, request_org: Organization | None) -> bool:
    return request_org is not None and principal_org.is_ancestor_or_self_of(request_org)


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, Grant] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token header."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token.")) from exc
        checksum = hashlib.sha256(raw.encode()).hexdigest()
        token = (
            get_access_token_model()
            .objects.select_related("user__organization", "application__organization")
            .filter(token_checksum=checksum)
            .first()
        )
        if token is None or token.expires <= timezone.now():
            raise exceptions.AuthenticationFailed(_("The access token is invalid or expired."))
        principal = token.user if token.user_id else token.application
        principal_org = principal.organization
        if token.user_id and not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The account is not active."))
        if not principal_org.is_active:  # as for passwords: a disabled organization's principals lose access
            raise exceptions.AuthenticationFailed(_("The organization is disabled."))
        if not _principal_may_act_in(principal_org, request.organization):
            raise exceptions.AuthenticationFailed(_("The access token was not issued for this organization."))
        scopes = frozenset(token.scope.split())
        return principal, Grant(scopes=scopes, organization=principal_org, token=token)

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class OrganizationBasicAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, Grant] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"basic":
            return None
        if not settings.IAM_API_BASIC_AUTH:
            raise exceptions.AuthenticationFailed(_("Basic authentication is disabled; use a bearer token."))
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed basic authentication header."))
        try:
            username, sep, password = base64.b64decode(header[1], validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise exceptions.AuthenticationFailed(_("Malformed basic authentication header.")) from exc
        org = request.organization
        if not sep or org is None:
            raise exceptions.AuthenticationFailed(_("Invalid username or password."))
        from apps.users.services import user_check_password

        # The user may belong to the organization in the URL or one of its ancestors.
        user = None
        for ancestor_id in reversed(org.ancestor_ids()):
            candidate_org = org if ancestor_id == org.id else Organization.objects.get(pk=ancestor_id)
            user = user_check_password(organization=candidate_org, username=username, password=password)
            if user is not None:
                break
        if user is None:
            raise exceptions.AuthenticationFailed(_("Invalid username or password."))
        return user, Grant(scopes=user_scope_names(user=user), organization=user.organization, method="basic")

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'
