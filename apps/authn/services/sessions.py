"""SSO sessions: establish after a login flow, check against an application's sequence, end, revoke.

The Django session holds one entry per root organization (``sso_entries``): the
user signed in there and the id of an ``AuthSession`` row holding what the user
proved and when. A sign-in without such a row (a test's ``force_login``, a
session older than this app) counts as a password sign-in at its login time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.middleware.csrf import rotate_token
from django.utils import timezone

from apps.authn.authenticators import authenticator_get
from apps.authn.models import AuthSession
from apps.authn.services.events import auth_event
from apps.authn.services.sequences import sequence_for, steps_missing
from apps.authn.services.settings import login_settings_for
from apps.authn.services.sso_entries import auth_session_ids, signed_in, sso_entry_remove, sso_entry_write
from apps.core import context

LEGACY_AUTH_TIME_KEY = "oauth_auth_time"  # written by the login page this app replaced


@dataclass(frozen=True)
class AuthResult:
    user: Any
    auth_time: int
    methods: tuple[str, ...]  # authenticator ids passed in the session
    amr: tuple[str, ...]  # RFC 8176 values for the ID token
    session_id: str = ""


def amr_for(methods: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """RFC 8176 values of the authenticators passed, plus ``mfa`` when more than one factor was used."""
    values: list[str] = []
    for method in methods:
        authenticator = authenticator_get(method)
        value = getattr(authenticator, "amr", "") if authenticator is not None else ""
        if value and value not in values:
            values.append(value)
    if len(set(methods)) > 1 and "mfa" not in values:
        values.append("mfa")
    return tuple(values)


def current_auth_session(request: HttpRequest) -> AuthSession | None:
    """The live SSO session of this browser at the request's root organization, or None."""
    cached = getattr(request, "_authn_session", False)
    if cached is not False:
        return cached
    session_id = signed_in(request).auth_session_id if hasattr(request, "session") else None
    row = None
    if isinstance(session_id, str):
        row = AuthSession.objects.filter(pk=session_id).first()
        if row is not None and not row.is_live():
            row = None
    request._authn_session = row
    return row


def _session_user(request: HttpRequest, organization: Any) -> Any | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.organization_id != organization.id or not user.is_active:
        return None
    return user


def _legacy_auth_time(request: HttpRequest, user: Any) -> int:
    value = request.session.get(LEGACY_AUTH_TIME_KEY)
    if isinstance(value, int):
        return value
    return int(user.last_login.timestamp()) if user.last_login else int(time.time())


def session_state(request: HttpRequest, organization: Any) -> AuthResult | None:
    """Who is signed in to ``organization`` in this browser, since when and how; None if nobody."""
    user = _session_user(request, organization)
    if user is None:
        return None
    row = current_auth_session(request)
    if row is not None and row.user_id == user.pk:
        methods = tuple(row.methods)
        return AuthResult(user, row.auth_time, methods, amr_for(methods), str(row.pk))
    return AuthResult(user, _legacy_auth_time(request, user), ("basic",), ("pwd",))


def authentication_satisfies(
    request: HttpRequest,
    *,
    client: Any = None,
    max_age: int | None = None,
    prompt: Any = (),
) -> AuthResult | None:
    """The SSO session's result when it satisfies ``client``'s sequence, ``max_age`` and ``prompt``, else None.

    None means "send the user to the portal": nobody signed in, ``prompt=login``,
    an authentication older than ``max_age``, or steps the session has not done
    (step-up: the portal then asks only for the missing steps). For an application
    with a conditional-authentication script, the script decides (in the portal)."""
    from apps.authn.services.scripts import script_pass_consume, sequence_script

    organization = request.organization
    state = session_state(request, organization)
    if state is None or "login" in (prompt or ()):
        return None
    if max_age is not None and int(time.time()) - state.auth_time > max_age:
        return None
    script = sequence_script(client.id) if client is not None else ""
    if script:  # a scripted application: only a script that just completed in the portal satisfies it
        if not script_pass_consume(request, client_id=client.client_id, user=state.user):
            return None
    elif steps_missing(sequence_for(getattr(client, "id", None)), state.methods):
        return None
    row = current_auth_session(request)
    if client is not None and row is not None and client.client_id not in row.clients:
        _remember_client(state.session_id, client.client_id)
    return state


def _remember_client(session_id: str, client_id: str) -> None:
    """Record the applications the session signed in to, for back-channel logout."""
    with transaction.atomic():
        row = AuthSession.objects.select_for_update().filter(pk=session_id).first()
        if row is not None and client_id not in row.clients:
            row.clients = [*row.clients, client_id][-50:]
            row.save(update_fields=["clients"])


def _user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:400]


@transaction.atomic
def sso_session_establish(
    request: HttpRequest, *, user: Any, methods: list[str], remember_me: bool = False
) -> AuthSession:
    """After a completed login flow: extend this browser's SSO session at the user's root organization
    (step-up) or start a new one there; sessions at other root organizations stay."""
    now = timezone.now()
    existing = current_auth_session(request)
    if existing is not None and existing.user_id == user.pk and getattr(request.user, "pk", None) == user.pk:
        existing.methods = list(dict.fromkeys([*existing.methods, *methods]))
        existing.auth_time = int(time.time())
        existing.last_seen = now
        existing.save(update_fields=["methods", "auth_time", "last_seen"])
        auth_event("authentication.step_up", user=user, organization=user.organization, data={"methods": methods})
        return existing
    if existing is not None:  # another user of this root organization signed in before
        _end(existing, reason="replaced")
    policy = login_settings_for(user.organization)
    lifetime = timedelta(days=policy.remember_me_days) if remember_me else timedelta(hours=policy.session_hours)
    row = AuthSession.objects.create(
        organization=user.organization,
        user=user,
        created=now,
        last_seen=now,
        expires=now + lifetime,
        remember_me=remember_me,
        ip=context.current().ip or "",
        user_agent=_user_agent(request),
        auth_time=int(time.time()),
        methods=list(dict.fromkeys(methods)),
    )
    sso_entry_write(request, user=user, auth_session_id=str(row.pk))  # cycles the session key
    rotate_token(request)  # a fresh CSRF token at sign-in, as django.contrib.auth.login does
    _cookie_expiry_set(request)
    request._authn_session = row
    user_logged_in.send(sender=user.__class__, request=request, user=user)  # last_login, login webhooks
    auth_event(
        "authentication.succeeded",
        user=user,
        organization=user.organization,
        data={"methods": row.methods, "sessionId": str(row.pk), "rememberMe": remember_me},
    )
    return row


def _cookie_expiry_set(request: HttpRequest) -> None:
    """Remember-me keeps the cookie across browser restarts (as long as the longest remembered
    session of any root organization); otherwise it ends with the browser."""
    rows = AuthSession.objects.filter(pk__in=auth_session_ids(request), revoked_at__isnull=True, remember_me=True)
    latest = max((row.expires for row in rows), default=None)
    if latest is None:
        request.session.set_expiry(0)
    else:
        request.session.set_expiry(max(int((latest - timezone.now()).total_seconds()), 1))


def _end(row: AuthSession, *, reason: str) -> None:
    from apps.authn.services.backchannel import backchannel_logout_schedule

    row.revoked_at = timezone.now()
    row.ended_reason = reason
    row.save(update_fields=["revoked_at", "ended_reason"])
    backchannel_logout_schedule(row)


@transaction.atomic
def sso_logout(request: HttpRequest) -> None:
    """End this browser's SSO session at the request's root organization (every application of it).

    Sessions at other root organizations stay; the Django session is flushed when none is left."""
    row = current_auth_session(request)
    user = request.user if getattr(request, "user", None) is not None and request.user.is_authenticated else None
    if row is not None:
        _end(row, reason="logout")
        auth_event(
            "session.terminated",
            user=row.user,
            organization=row.organization,
            data={"sessionId": str(row.pk), "reason": "logout"},
        )
    elif user is not None:
        auth_event("session.terminated", user=user, organization=user.organization, data={"reason": "logout"})
    if user is not None:
        user_logged_out.send(sender=user.__class__, request=request, user=user)
    sso_entry_remove(request)
    if auth_session_ids(request):  # signed in at another root organization still
        _cookie_expiry_set(request)
    request._authn_session = None


@transaction.atomic
def session_revoke(*, actor: Any, session: AuthSession) -> None:
    """End one SSO session from My Account or the Console; that browser is signed out on its next request."""
    session = AuthSession.objects.select_for_update().get(pk=session.pk)
    if session.revoked_at is not None:
        return
    _end(session, reason="revoked")
    auth_event(
        "session.revoked",
        user=session.user,
        organization=session.organization,
        actor=actor,
        data={"sessionId": str(session.pk)},
    )


def sessions_live(user: Any) -> QuerySet[AuthSession]:
    return AuthSession.objects.filter(user=user, revoked_at__isnull=True, expires__gt=timezone.now())


def session_check(request: HttpRequest) -> None:
    """Per request: sign the browser out at the request's root organization when its SSO session there
    was revoked or expired; note activity."""
    session_id = signed_in(request).auth_session_id
    if not isinstance(session_id, str):
        return
    row = AuthSession.objects.filter(pk=session_id).only("id", "revoked_at", "expires", "last_seen").first()
    now = timezone.now()
    if row is None or not row.is_live(now):
        sso_entry_remove(request)
        request._authn_session = None
        return
    if (now - row.last_seen).total_seconds() > 60:
        AuthSession.objects.filter(pk=row.pk).update(last_seen=now)
