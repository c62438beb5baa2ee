"""Bearer tokens (issued by the OAuth provider) and HTTP Basic (WSO2 allows it
for automation; ``IAM_API_BASIC_AUTH=false`` turns it off).

A DPoP-bound access token (RFC 9449) is accepted only as ``Authorization: DPoP
<token>`` with a ``DPoP`` proof of the bound key over this request (and its
``ath``); sent as a bearer token it is refused, with a DPoP challenge.

Either way the principal must belong to the organization in the URL or to one
of its ancestors, and ``request.auth`` becomes a ``Grant`` carrying the scopes
the principal holds."""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model, get_application_model
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.core.ids import parse_uuid
from apps.oauth.dpop import DPoPError, dpop_challenge, dpop_presentation_check
from apps.oauth.models import DPoPProof
from apps.orgs.models import Organization
from apps.users.models import User
from apps.users.selectors import user_scope_names


@dataclass(frozen=True)
class Grant:
    """What the caller authenticated with and the scopes it may use."""

    scopes: frozenset[str]
    organization_path: str  # the principal's organization (materialized path)
    method: str = "bearer"


def _token_lookup_sql() -> str:
    """One round trip, no ORM compilation: this runs on every API request."""
    token = get_access_token_model()._meta.db_table
    user = User._meta.db_table
    app = get_application_model()._meta.db_table
    org = Organization._meta.db_table
    proof = DPoPProof._meta.db_table
    # Table names come from model metadata, never from input; the checksum is a bound parameter.
    return (
        f"SELECT t.expires, t.scope, t.user_id, t.application_id, u.state, uo.path, uo.status, ao.path, ao.status, "  # noqa: S608
        f"b.jkt "
        f"FROM {token} t "
        f"LEFT JOIN {user} u ON u.id = t.user_id "
        f"LEFT JOIN {org} uo ON uo.id = u.organization_id "
        f"LEFT JOIN {app} a ON a.id = t.application_id "
        f"LEFT JOIN {org} ao ON ao.id = a.organization_id "
        f"LEFT JOIN {proof} b ON b.access_token_checksum = t.token_checksum "
        f"WHERE t.token_checksum = %s"
    )


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"
    _sql: str | None = None

    def authenticate(self, request: Request) -> tuple[Any, Grant] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in (b"bearer", b"dpop"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token header."))
        scheme = header[0].lower().decode("ascii")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed bearer token.")) from exc
        if BearerTokenAuthentication._sql is None:
            BearerTokenAuthentication._sql = _token_lookup_sql()
        with connection.cursor() as cursor:
            cursor.execute(BearerTokenAuthentication._sql, [hashlib.sha256(raw.encode()).hexdigest()])
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("The access token is invalid or expired."))
        (
            expires,
            scope,
            user_id,
            application_id,
            user_state,
            user_org_path,
            user_org_status,
            app_org_path,
            app_org_status,
            bound_jkt,
        ) = row
        if isinstance(expires, str):  # SQLite returns text
            expires = parse_datetime(expires)
        if timezone.is_naive(expires):
            expires = timezone.make_aware(expires, datetime.UTC)
        if expires <= timezone.now():
            raise exceptions.AuthenticationFailed(_("The access token is invalid or expired."))
        if user_id is not None:
            if user_state != User.State.ACTIVE:
                raise exceptions.AuthenticationFailed(_("The account is not active."))
            org_path, org_status = user_org_path, user_org_status
            principal: Any = SimpleLazyObject(
                lambda: User.objects.select_related("organization").get(pk=parse_uuid(user_id))
            )
        else:
            org_path, org_status = app_org_path, app_org_status
            principal = SimpleLazyObject(
                lambda: get_application_model().objects.select_related("organization").get(pk=application_id)
            )
        if (
            org_status != Organization.Status.ACTIVE
        ):  # as for passwords: a disabled organization's principals lose access
            raise exceptions.AuthenticationFailed(_("The organization is disabled."))
        if request.organization is None or not request.organization.path.startswith(org_path):
            raise exceptions.AuthenticationFailed(_("The access token was not issued for this organization."))
        try:
            dpop_presentation_check(request._request, scheme=scheme, access_token=raw, bound_jkt=bound_jkt)
        except DPoPError as exc:
            request._dpop_challenge = dpop_challenge(exc.error, exc.description, realm="api")
            raise exceptions.AuthenticationFailed(exc.description) from exc
        method = "dpop" if scheme == "dpop" else "bearer"
        return principal, Grant(scopes=frozenset(scope.split()), organization_path=org_path, method=method)

    def authenticate_header(self, request: Request) -> str:
        # RFC 9449 §7.1: a DPoP failure is answered with the DPoP challenge carrying its error;
        # otherwise both schemes are offered.
        return getattr(request, "_dpop_challenge", None) or f'Bearer realm="api", {dpop_challenge(realm="api")}'


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
        return user, Grant(scopes=user_scope_names(user=user), organization_path=user.organization.path, method="basic")

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'
