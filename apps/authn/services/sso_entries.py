"""Who is signed in at which root organization, in this browser's one Django session.

A browser keeps one session cookie per host, but each root organization (tenant)
gets its own SSO session inside it::

    session["iam_sso"] = {"<root org id>": {"user": "<pk>", "auth_session": "<AuthSession id>", "hash": "..."}}

``request.user`` is the user of the request's root organization (its whole tree:
``/t/<root>/`` and ``/t/<root>/o/<org>/``), or ``AnonymousUser``. Signing in at
tenant A therefore leaves the browser's session at tenant B alone.

Sessions written by ``django.contrib.auth.login`` (a test's ``force_login``, a
session older than per-root entries) still count, but only within their user's
root tree, with the ``AuthSession`` id they kept at the top level."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.auth import SESSION_KEY as DJANGO_USER_KEY
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

ENTRIES_KEY = "iam_sso"
LEGACY_SESSION_KEY = "authn_sid"  # the AuthSession id, before entries were kept per root
_LEGACY_KEYS = (DJANGO_USER_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY, LEGACY_SESSION_KEY, "oauth_auth_time")


@dataclass(frozen=True)
class SignedIn:
    """The request root's sign-in: its user (or AnonymousUser) and its AuthSession id, if any."""

    user: Any
    auth_session_id: str | None
    legacy: bool = False


_NOBODY = SignedIn(AnonymousUser(), None)


def root_key(organization: Any) -> str | None:
    if organization is None:
        return None
    return str(organization.root_id or organization.id)


def _entries(request: HttpRequest) -> dict[str, Any]:
    value = request.session.get(ENTRIES_KEY)
    return value if isinstance(value, dict) else {}


def _load_user(user_id: Any) -> Any | None:
    from apps.users.models import User

    if not isinstance(user_id, str | int):
        return None
    try:
        return User.objects.select_related("organization").filter(pk=user_id).first()
    except (ValueError, TypeError, ValidationError):  # a malformed id in an old session
        return None


def _hash_matches(user: Any, stored: Any) -> bool:
    return isinstance(stored, str) and constant_time_compare(stored, user.get_session_auth_hash())


def _from_entry(request: HttpRequest, key: str) -> SignedIn | None:
    entry = _entries(request).get(key)
    if not isinstance(entry, dict):
        return None
    user = _load_user(entry.get("user"))
    if user is None or root_key(user.organization) != key or not _hash_matches(user, entry.get("hash")):
        _entry_drop(request, key)  # the password changed, the user went away: signed out here
        return None
    session_id = entry.get("auth_session")
    return SignedIn(user, session_id if isinstance(session_id, str) else None)


def _from_legacy(request: HttpRequest, key: str) -> SignedIn | None:
    user_id = request.session.get(DJANGO_USER_KEY)
    if user_id is None:
        return None
    user = _load_user(user_id)
    if user is None or not _hash_matches(user, request.session.get(HASH_SESSION_KEY)):
        _legacy_drop(request)
        return None
    if root_key(user.organization) != key:
        return None  # signed in at another root organization only
    session_id = request.session.get(LEGACY_SESSION_KEY)
    return SignedIn(user, session_id if isinstance(session_id, str) else None, legacy=True)


def signed_in(request: HttpRequest) -> SignedIn:
    """Who is signed in at the request's root organization (cached for the request)."""
    cached = getattr(request, "_authn_signed_in", None)
    if cached is not None:
        return cached
    key = root_key(getattr(request, "organization", None))
    result = None
    if key is not None and hasattr(request, "session"):
        result = _from_entry(request, key) or _from_legacy(request, key)
    request._authn_signed_in = result or _NOBODY
    return request._authn_signed_in


def sso_entry_write(request: HttpRequest, *, user: Any, auth_session_id: str) -> None:
    """Sign ``user`` in at their root organization; other roots' entries stay."""
    key = root_key(user.organization)
    if signed_in(request).legacy:
        _legacy_drop(request)  # the old-style sign-in of this root is superseded
    entries = dict(_entries(request))
    entries[key] = {"user": str(user.pk), "auth_session": auth_session_id, "hash": user.get_session_auth_hash()}
    request.session[ENTRIES_KEY] = entries
    request.session.cycle_key()  # a new session id at privilege change; the data (other roots) is kept
    request.user = user
    request._authn_signed_in = SignedIn(user, auth_session_id)


def sso_entry_rehash(request: HttpRequest, *, user: Any) -> None:
    """After ``user`` changed their password here: stay signed in in this browser (other browsers end)."""
    key = root_key(user.organization)
    entry = _entries(request).get(key)
    if isinstance(entry, dict) and entry.get("user") == str(user.pk):
        entries = dict(_entries(request))
        entries[key] = {**entry, "hash": user.get_session_auth_hash()}
        request.session[ENTRIES_KEY] = entries
    elif str(request.session.get(DJANGO_USER_KEY)) == str(user.pk):
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    request.session.cycle_key()


def sso_entry_remove(request: HttpRequest) -> None:
    """Sign the browser out at the request's root organization; flush the session when no root is left."""
    key = root_key(getattr(request, "organization", None))
    state = signed_in(request)
    if state.legacy:
        _legacy_drop(request)
    if key is not None:
        _entry_drop(request, key)
    if _entries(request) or request.session.get(DJANGO_USER_KEY) is not None:
        request.session.cycle_key()
    else:
        request.session.flush()
    request.user = AnonymousUser()
    request._authn_signed_in = _NOBODY


def _entry_drop(request: HttpRequest, key: str) -> None:
    entries = dict(_entries(request))
    if entries.pop(key, None) is not None:
        request.session[ENTRIES_KEY] = entries


def _legacy_drop(request: HttpRequest) -> None:
    for name in _LEGACY_KEYS:
        request.session.pop(name, None)


def auth_session_ids(request: HttpRequest) -> list[str]:
    """The AuthSession ids of every root organization this browser is signed in at."""
    ids = [entry.get("auth_session") for entry in _entries(request).values() if isinstance(entry, dict)]
    ids.append(request.session.get(LEGACY_SESSION_KEY))
    return [value for value in ids if isinstance(value, str)]
