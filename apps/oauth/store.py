"""Token persistence, in one place: access, refresh and ID tokens, authorization
codes and their redemptions. Only checksums of tokens and codes are stored
(RFC 9700); the raw values exist only in the responses.

The access-token INSERT is conditional on the application's version (its
``updated`` timestamp, as the cached client snapshot saw it): one statement
that both mints the token and proves the snapshot was current. When it
inserts nothing, ``StaleClient`` tells the grant to reload and decide again.

A DPoP-bound access token (RFC 9449) is recorded on its proof's replay-cache
row (``apps.oauth.dpop``), inserted just before the token; token reads join
that row by checksum for the bound key thumbprint (``jkt``)."""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
    set_token_value,
)
from oauth2_provider.settings import oauth2_settings

from apps.core.ids import parse_uuid
from apps.oauth.clients import GRANT_REFRESH_TOKEN, Client
from apps.oauth.dpop import VerifiedProof, dpop_proof_record, dpop_proofs_clear
from apps.oauth.models import CodeRedemption, DPoPProof, PushedAuthorizationRequest
from apps.orgs.models import OrganizationAccessToken
from apps.users.models import User

if TYPE_CHECKING:
    from apps.oauth.tokens import MintedToken, TokenGrant

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()
Grant = get_grant_model()
IDToken = get_id_token_model()


class StaleClient(Exception):
    """The application changed (or vanished) since its snapshot was cached."""


def checksum(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


_INSERT_COLUMNS = (
    "token",
    "token_checksum",
    "user",
    "application",
    "expires",
    "scope",
    "resource",
    "id_token",
    "source_refresh_token",
    "created",
    "updated",
)
_sql_cache: dict[bool, str] = {}


def _insert_sql(returning: bool) -> str:
    sql = _sql_cache.get(returning)
    if sql is None:
        quote = connection.ops.quote_name
        app_model = get_application_model()
        columns = ", ".join(quote(AccessToken._meta.get_field(name).column) for name in _INSERT_COLUMNS)
        placeholders = ", ".join(["%s"] * len(_INSERT_COLUMNS))
        app_pk = quote(app_model._meta.pk.column)
        app_updated = quote(app_model._meta.get_field("updated").column)
        # Names come from model metadata, values are bound parameters.
        sql = (
            f"INSERT INTO {quote(AccessToken._meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {placeholders} FROM {quote(app_model._meta.db_table)} "
            f"WHERE {app_pk} = %s AND {app_updated} = %s"
        )
        if returning:
            sql += f" RETURNING {quote(AccessToken._meta.pk.column)}"
        _sql_cache[returning] = sql
    return sql


def _prep(model: Any, name: str, value: Any) -> Any:
    return model._meta.get_field(name).get_db_prep_save(value, connection)


def access_token_insert(
    *,
    client: Client,
    raw: str,
    expires: datetime.datetime,
    scope: str,
    resource: list[str],
    user_id: uuid.UUID | None = None,
    id_token_id: int | None = None,
    source_refresh_token_id: int | None = None,
    now: datetime.datetime | None = None,
    returning: bool = False,
    dpop: VerifiedProof | None = None,
    organization_id: uuid.UUID | None = None,
) -> int | None:
    """Mint one access token row in one statement, only if ``client`` is still current.

    ``organization_id``: the organization the token acts in; when it is not the client's own (a
    shared application in a sub-organization, ``organization_switch``) one more row records it.

    ``dpop``: the proof the token is bound to. Its row goes in first (one more statement), so a
    replayed proof mints nothing; it is kept as long as a refresh token issued now could live."""
    now = now or timezone.now()
    token_checksum = checksum(raw)
    if dpop is not None:
        keep = expires
        if client.allows(GRANT_REFRESH_TOKEN):
            keep = max(keep, now + datetime.timedelta(seconds=client.refresh_token_lifetime))
        dpop_proof_record(dpop, token_checksum=token_checksum, keep_until=keep)
    values = {
        "token": "",  # RFC 9700: only the checksum is kept
        "token_checksum": token_checksum,
        "user": user_id,
        "application": client.id,
        "expires": expires,
        "scope": scope,
        "resource": resource,
        "id_token": id_token_id,
        "source_refresh_token": source_refresh_token_id,
        "created": now,
        "updated": now,
    }
    params = [_prep(AccessToken, name, values[name]) for name in _INSERT_COLUMNS]
    params += [client.id, _prep(get_application_model(), "updated", client.version)]
    # ``returning``: PostgreSQL and SQLite (3.35+) both return the new id from the same statement.
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(returning), params)
        row = cursor.fetchone() if returning else None
        if (row is None) if returning else (cursor.rowcount == 0):
            raise StaleClient(client.client_id)
    if organization_id is not None and organization_id != client.organization_id:
        OrganizationAccessToken.objects.create(
            access_token_checksum=token_checksum, organization_id=organization_id, expires=expires
        )
    return int(row[0]) if row is not None else None


def access_token_organization_id(raw: str) -> uuid.UUID | None:
    """The sub-organization an access token acts in, when it is not its application's organization."""
    return (
        OrganizationAccessToken.objects.filter(access_token_checksum=checksum(raw))
        .values_list("organization_id", flat=True)
        .first()
    )


def refresh_token_insert(
    *, client: Client, raw: str, user_id: uuid.UUID, access_token_id: int, family: uuid.UUID, resource: list[str]
) -> int:
    token = RefreshToken(
        user_id=user_id,
        application_id=client.id,
        access_token_id=access_token_id,
        token_family=family,
        resource=resource,
    )
    set_token_value(token, raw)
    token.save(force_insert=True)
    return token.pk


def id_token_insert(
    *, client: Client, user_id: uuid.UUID, jti: uuid.UUID, expires: datetime.datetime, scope: str
) -> int:
    row = IDToken.objects.create(user_id=user_id, application_id=client.id, jti=jti, expires=expires, scope=scope)
    return row.pk


def user_tokens_insert(
    *,
    grant: TokenGrant,
    access: MintedToken,
    id_token: MintedToken | None,
    id_token_jti: uuid.UUID,
    refresh: str,
    family: uuid.UUID | None,
    now: datetime.datetime,
) -> int:
    """The tokens of a user grant (code, device code): ID token, access token, first refresh token.

    Call inside the transaction that consumes the code or device code, so a
    stale client (``StaleClient``) rolls the redemption back with the tokens.
    Returns the access token id."""
    client, user_id = grant.client, grant.user.id
    id_token_id = None
    if id_token is not None:
        id_token_id = id_token_insert(
            client=client, user_id=user_id, jti=id_token_jti, expires=id_token.expires, scope=grant.scope
        )
    access_id = access_token_insert(
        client=client,
        raw=access.raw,
        expires=access.expires,
        scope=grant.scope,
        resource=grant.resource,
        user_id=user_id,
        id_token_id=id_token_id,
        now=now,
        returning=True,
        dpop=grant.dpop,
        organization_id=grant.organization.id,
    )
    assert access_id is not None
    if refresh and family is not None:
        refresh_token_insert(
            client=client,
            raw=refresh,
            user_id=user_id,
            access_token_id=access_id,
            family=family,
            resource=grant.resource,
        )
    return access_id


@dataclass(frozen=True)
class AccessTokenRecord:
    """What introspection needs of an access token, read in one narrow query."""

    id: int
    expires: datetime.datetime
    created: datetime.datetime
    scope: str
    resource: list[str]
    application_id: int
    client_id: str
    organization_id: uuid.UUID | None
    user_id: uuid.UUID | None
    username: str | None
    user_state: str | None
    jkt: str | None = None  # RFC 9449: the thumbprint of the key a DPoP-bound token is bound to
    user_kind: str | None = None
    token_organization_id: uuid.UUID | None = None  # where the token acts (a sub-organization, or the app's)
    user_organization_id: uuid.UUID | None = None  # the user's resident organization


_record_sql: list[str] = []


def _record_query() -> str:
    if not _record_sql:
        quote = connection.ops.quote_name
        app = get_application_model()._meta
        token = AccessToken._meta
        user = User._meta
        proof = DPoPProof._meta
        org_token = OrganizationAccessToken._meta
        col = lambda meta, name: quote(meta.get_field(name).column)  # noqa: E731
        _record_sql.append(
            # Names come from model metadata; the checksum is a bound parameter.
            f"SELECT t.{col(token, 'id')}, t.{col(token, 'expires')}, t.{col(token, 'created')}, "  # noqa: S608
            f"t.{col(token, 'scope')}, t.{col(token, 'resource')}, a.{col(app, 'id')}, a.{col(app, 'client_id')}, "
            f"a.{col(app, 'organization')}, u.{col(user, 'id')}, u.{col(user, 'username')}, u.{col(user, 'state')}, "
            f"b.{col(proof, 'jkt')}, u.{col(user, 'kind')}, o.{col(org_token, 'organization')}, "
            f"u.{col(user, 'organization')} "
            f"FROM {quote(token.db_table)} t "
            f"JOIN {quote(app.db_table)} a ON a.{col(app, 'id')} = t.{col(token, 'application')} "
            f"LEFT JOIN {quote(user.db_table)} u ON u.{col(user, 'id')} = t.{col(token, 'user')} "
            f"LEFT JOIN {quote(proof.db_table)} b "
            f"ON b.{col(proof, 'access_token_checksum')} = t.{col(token, 'token_checksum')} "
            f"LEFT JOIN {quote(org_token.db_table)} o "
            f"ON o.{col(org_token, 'access_token_checksum')} = t.{col(token, 'token_checksum')} "
            f"WHERE t.{col(token, 'token_checksum')} = %s"
        )
    return _record_sql[0]


def _datetime(value: Any) -> datetime.datetime:
    if isinstance(value, str):  # SQLite
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)


def access_token_record(raw: str) -> AccessTokenRecord | None:
    """The access token presented as ``raw`` (one raw query: this runs on every introspection)."""
    if not raw or len(raw) > 16_384:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_record_query(), [checksum(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    (token_id, expires, created, scope, resource, app_id, client_id, org_id, user_id, username, state, jkt, kind) = row[
        :13
    ]
    token_org_id, user_org_id = row[13], row[14]
    if isinstance(resource, str):
        resource = json.loads(resource)
    return AccessTokenRecord(
        id=token_id,
        expires=_datetime(expires),
        created=_datetime(created),
        scope=scope,
        resource=list(resource or []),
        application_id=app_id,
        client_id=client_id,
        organization_id=parse_uuid(org_id),
        user_id=parse_uuid(user_id) if user_id is not None else None,
        username=username,
        user_state=state,
        jkt=jkt,
        user_kind=kind,
        token_organization_id=parse_uuid(token_org_id) if token_org_id is not None else parse_uuid(org_id),
        user_organization_id=parse_uuid(user_org_id) if user_org_id is not None else None,
    )


def _bound_jkt(checksum_field: str) -> Subquery:
    """The DPoP key thumbprint bound to the access token whose checksum is ``checksum_field``."""
    return Subquery(DPoPProof.objects.filter(access_token_checksum=OuterRef(checksum_field)).values("jkt")[:1])


def access_token_find(raw: str) -> Any | None:
    """The access token row presented as ``raw``, with its application, user and ``dpop_jkt``, or None."""
    if not raw or len(raw) > 16_384:
        return None
    return (
        AccessToken.objects.select_related("application", "user")
        .annotate(dpop_jkt=_bound_jkt("token_checksum"))
        .filter(token_checksum=checksum(raw))
        .first()
    )


def refresh_token_find(raw: str) -> Any | None:
    """The refresh token row with its application, user, access token and ``dpop_jkt`` (the key its
    access token is bound to: a public client's refresh token is bound to the same key)."""
    if not raw or len(raw) > 1024:
        return None
    return (
        RefreshToken.objects.select_related("application", "user", "access_token")
        .annotate(dpop_jkt=_bound_jkt("access_token__token_checksum"))
        .filter(token_checksum=checksum(raw))
        .order_by(F("revoked").asc(nulls_first=True))  # a live row first, should one exist beside revoked ones
        .first()
    )


@dataclass(frozen=True)
class RefreshRecord:
    """What the refresh_token grant needs of a refresh token, read in one narrow query."""

    id: int
    application_id: int
    revoked: datetime.datetime | None
    created: datetime.datetime
    family: uuid.UUID | None
    resource: list[str]
    access_token_id: int | None
    scope: str  # of its access token: a refresh token's scope is that of its access token
    user: UserRef
    jkt: str | None  # RFC 9449: the key its access token is bound to (a public client's refresh token too)


@dataclass(frozen=True)
class UserRef:
    """The subject of a token as the token paths need it, without loading the user row through the ORM."""

    id: uuid.UUID
    kind: str
    state: str
    organization_id: uuid.UUID

    @property
    def pk(self) -> uuid.UUID:
        return self.id


_refresh_sql: list[str] = []


def _refresh_query() -> str:
    if not _refresh_sql:
        quote = connection.ops.quote_name
        refresh, token, user, proof = RefreshToken._meta, AccessToken._meta, User._meta, DPoPProof._meta
        col = lambda meta, name: quote(meta.get_field(name).column)  # noqa: E731
        _refresh_sql.append(
            # Names come from model metadata; the checksum is a bound parameter. A live row sorts
            # first, should one exist beside revoked ones with the same checksum.
            f"SELECT r.{col(refresh, 'id')}, r.{col(refresh, 'application')}, r.{col(refresh, 'revoked')}, "  # noqa: S608
            f"r.{col(refresh, 'created')}, r.{col(refresh, 'token_family')}, r.{col(refresh, 'resource')}, "
            f"r.{col(refresh, 'access_token')}, t.{col(token, 'scope')}, u.{col(user, 'id')}, "
            f"u.{col(user, 'kind')}, u.{col(user, 'state')}, u.{col(user, 'organization')}, b.{col(proof, 'jkt')} "
            f"FROM {quote(refresh.db_table)} r "
            f"JOIN {quote(user.db_table)} u ON u.{col(user, 'id')} = r.{col(refresh, 'user')} "
            f"LEFT JOIN {quote(token.db_table)} t ON t.{col(token, 'id')} = r.{col(refresh, 'access_token')} "
            f"LEFT JOIN {quote(proof.db_table)} b "
            f"ON b.{col(proof, 'access_token_checksum')} = t.{col(token, 'token_checksum')} "
            f"WHERE r.{col(refresh, 'token_checksum')} = %s "
            f"ORDER BY CASE WHEN r.{col(refresh, 'revoked')} IS NULL THEN 0 ELSE 1 END LIMIT 1"
        )
    return _refresh_sql[0]


def refresh_token_record(raw: str) -> RefreshRecord | None:
    """The refresh token presented as ``raw``, with its subject and bound key (one raw query:
    the refresh_token grant is a hot path)."""
    if not raw or len(raw) > 1024:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_refresh_query(), [checksum(raw)])
        row = cursor.fetchone()
    if row is None:
        return None
    (token_id, app_id, revoked, created, family, resource, access_id, scope, user_id, kind, state, org_id, jkt) = row
    if isinstance(resource, str):
        resource = json.loads(resource)
    return RefreshRecord(
        id=token_id,
        application_id=app_id,
        revoked=_datetime(revoked) if revoked is not None else None,
        created=_datetime(created),
        family=parse_uuid(family) if family is not None else None,
        resource=list(resource or []),
        access_token_id=access_id,
        scope=scope or "",
        user=UserRef(id=parse_uuid(user_id), kind=kind, state=state, organization_id=parse_uuid(org_id)),
        jkt=jkt,
    )


def _execute(sql: str, params: list[Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _table(meta: Any) -> str:
    return connection.ops.quote_name(meta.db_table)


def _column(meta: Any, name: str) -> str:
    return connection.ops.quote_name(meta.get_field(name).column)


def refresh_token_rotate_out(record: RefreshRecord, *, now: datetime.datetime) -> bool:
    """Retire a rotated refresh token and drop its access token, in two statements; False when
    another request retired it first (a reuse). Call inside the transaction that mints the successor."""
    r = RefreshToken._meta
    retired = _execute(
        f"UPDATE {_table(r)} SET {_column(r, 'revoked')} = %s, {_column(r, 'updated')} = %s, "  # noqa: S608
        f"{_column(r, 'access_token')} = NULL WHERE {_column(r, 'id')} = %s AND {_column(r, 'revoked')} IS NULL",
        [_prep(RefreshToken, "revoked", now), _prep(RefreshToken, "updated", now), record.id],
    )
    if not retired:
        return False
    _access_token_delete_raw(record.access_token_id)
    return True


def refresh_token_keep(record: RefreshRecord, *, access_token_id: int, now: datetime.datetime) -> None:
    """Without rotation: re-bind the refresh token to its new access token and drop the old one."""
    r = RefreshToken._meta
    _execute(
        f"UPDATE {_table(r)} SET {_column(r, 'access_token')} = %s, {_column(r, 'updated')} = %s "  # noqa: S608
        f"WHERE {_column(r, 'id')} = %s",
        [access_token_id, _prep(RefreshToken, "updated", now), record.id],
    )
    _access_token_delete_raw(record.access_token_id)


def _access_token_delete_raw(access_token_id: int | None) -> None:
    """Delete an access token no refresh token points at any more (the caller made sure)."""
    if access_token_id is not None:
        a = AccessToken._meta
        _execute(f"DELETE FROM {_table(a)} WHERE {_column(a, 'id')} = %s", [access_token_id])  # noqa: S608


_REFRESH_INSERT_COLUMNS = (
    "user",
    "token",
    "token_checksum",
    "application",
    "access_token",
    "token_family",
    "resource",
    "created",
    "updated",
)


def refresh_token_insert_raw(
    *,
    client: Client,
    raw: str,
    user_id: uuid.UUID,
    access_token_id: int,
    family: uuid.UUID,
    resource: list[str],
    now: datetime.datetime,
) -> None:
    """One INSERT for a rotated refresh token (RFC 9700: the checksum only, as ``set_token_value`` stores it)."""
    values = {
        "user": user_id,
        "token": "" if oauth2_settings.COMPLIANT_BCP_RFC9700_TOKEN_STORAGE else raw,
        "token_checksum": checksum(raw),
        "application": client.id,
        "access_token": access_token_id,
        "token_family": family,
        "resource": resource,
        "created": now,
        "updated": now,
    }
    r = RefreshToken._meta
    columns = ", ".join(_column(r, name) for name in _REFRESH_INSERT_COLUMNS)
    placeholders = ", ".join(["%s"] * len(_REFRESH_INSERT_COLUMNS))
    _execute(
        f"INSERT INTO {_table(r)} ({columns}) VALUES ({placeholders})",  # noqa: S608
        [_prep(RefreshToken, name, values[name]) for name in _REFRESH_INSERT_COLUMNS],
    )


def refresh_token_retire(refresh_token_id: int, *, now: datetime.datetime) -> bool:
    """Mark a rotated refresh token revoked; False when another request got there first."""
    return bool(RefreshToken.objects.filter(pk=refresh_token_id, revoked__isnull=True).update(revoked=now, updated=now))


def refresh_token_rebind(refresh_token_id: int, *, access_token_id: int, now: datetime.datetime) -> None:
    RefreshToken.objects.filter(pk=refresh_token_id).update(access_token_id=access_token_id, updated=now)


def token_family_revoke(family: uuid.UUID | None) -> None:
    """Revoke every refresh token of ``family`` and delete the family's access tokens."""
    if family is not None:
        RefreshToken.revoke_family(family)


def access_token_delete(access_token_id: int | None) -> None:
    if access_token_id is not None:
        AccessToken.objects.filter(pk=access_token_id).delete()


def access_token_revoke(access_token_id: int) -> None:
    """RFC 7009: revoking an access token also revokes the refresh token family it came with."""
    family = RefreshToken.objects.filter(access_token_id=access_token_id).values_list("token_family", flat=True)
    family = family.first()
    if family is not None:
        token_family_revoke(family)
    access_token_delete(access_token_id)


# --- authorization codes ----------------------------------------------------------


def code_create(
    *,
    client: Client,
    raw: str,
    user_id: uuid.UUID,
    expires: datetime.datetime,
    redirect_uri: str,
    scope: str,
    code_challenge: str,
    code_challenge_method: str,
    nonce: str,
    resource: list[str],
    auth_time: int,
    dpop_jkt: str = "",
    amr: tuple[str, ...] | list[str] = (),
    sid: str = "",
) -> None:
    context: dict[str, Any] = {"auth_time": int(auth_time)}
    if amr:
        context["amr"] = list(amr)  # OIDC Core §2: how the user authenticated, for the ID token
    if sid:
        context["sid"] = sid  # OIDC Back-Channel Logout §2.1: the SSO session, as in the logout token
    if dpop_jkt:
        context["dpop_jkt"] = dpop_jkt  # RFC 9449 §10, checked when the code is exchanged
    Grant.objects.create(
        code=checksum(raw),  # a database read alone cannot redeem codes
        user_id=user_id,
        application_id=client.id,
        expires=expires,
        redirect_uri=redirect_uri,
        scope=scope,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        nonce=nonce,
        resource=resource,
        # The ID token needs the moment the user authenticated; DOT keeps the
        # (unsupported) OIDC ``claims`` request here, we keep the auth context.
        claims=json.dumps(context, separators=(",", ":")),
    )


def code_find(raw: str) -> Any | None:
    if not raw or len(raw) > 512:
        return None
    return Grant.objects.select_related("user").filter(code=checksum(raw)).first()


def code_consume(grant_id: int) -> bool:
    """Delete the code; False when a concurrent exchange consumed it first."""
    deleted, _ = Grant.objects.filter(pk=grant_id).delete()
    return deleted > 0


def code_redemption_record(
    *,
    raw: str,
    client: Client,
    access_token_id: int,
    family: uuid.UUID | None,
    expires: datetime.datetime,
) -> None:
    CodeRedemption.objects.create(
        code_checksum=checksum(raw),
        application_id=client.id,
        access_token_id=access_token_id,
        token_family=family,
        expires=expires,
    )


def code_replay_revoke(raw: str) -> bool:
    """When ``raw`` is a code that was already exchanged, revoke what it issued and say so."""
    if not raw or len(raw) > 512:
        return False
    redemption = CodeRedemption.objects.filter(code_checksum=checksum(raw)).first()
    if redemption is None:
        return False
    with transaction.atomic():
        token_family_revoke(redemption.token_family)
        access_token_delete(redemption.access_token_id)
    return True


def expired_clear(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Sweep: expired codes, redemptions, expired access tokens no live refresh token still
    points at (a refresh token's scope is that of its access token), and DPoP proof rows."""
    now = now or timezone.now()
    return {
        "codes": Grant.objects.filter(expires__lt=now).delete()[0],
        "redemptions": CodeRedemption.objects.filter(expires__lt=now).delete()[0],
        "access_tokens": AccessToken.objects.filter(expires__lt=now - datetime.timedelta(hours=1))
        .exclude(refresh_token__revoked__isnull=True, refresh_token__isnull=False)
        .delete()[0],
        "dpop_proofs": dpop_proofs_clear(now=now),
        "pushed_requests": PushedAuthorizationRequest.objects.filter(expires__lt=now).delete()[0],
    }
