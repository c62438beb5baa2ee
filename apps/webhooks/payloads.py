"""Webhook payloads: the Security Event Token style envelope WSO2 sends, and one
builder per event type turning an outbox event into its ``events`` entry.

Built once per event at fan-out time and stored on each delivery, so every
attempt (and every webhook) gets the same ``jti`` and the same bytes."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings

from apps.core.models import OutboxEvent
from apps.orgs.models import Organization
from apps.users.models import User
from apps.webhooks import channels as ch

USER_STORE = "PRIMARY"
CLAIM_URIS = {
    "username": "http://wso2.org/claims/username",
    "email": "http://wso2.org/claims/emailaddress",
    "given_name": "http://wso2.org/claims/givenname",
    "family_name": "http://wso2.org/claims/lastname",
    "phone": "http://wso2.org/claims/mobile",
}
INITIATOR_TYPES = ("ADMIN", "USER", "APPLICATION", "SYSTEM")
AUTHENTICATOR_BASIC = "BasicAuthenticator"


# --- pieces ---------------------------------------------------------------------------------------


def claim_uri(name: str) -> str:
    """A profile field or custom attribute name as a local claim URI."""
    if name in CLAIM_URIS:
        return CLAIM_URIS[name]
    return name if "://" in name else f"http://wso2.org/claims/{name}"


def user_store() -> dict[str, str]:
    return {"id": base64.b64encode(USER_STORE.encode()).decode(), "name": USER_STORE}


def organization_out(org: Organization) -> dict[str, Any]:
    return {"id": str(org.id), "name": org.name, "orgHandle": org.handle, "depth": org.depth}


def tenant_out(org: Organization) -> dict[str, str]:
    root = org if org.is_root else org.root
    return {"id": str(root.id), "name": root.handle}


def issuer(org: Organization) -> str:
    root = org if org.is_root else org.root
    return f"{settings.IAM_BASE_URL}{root.url_prefix}"


def user_claims(user: User) -> list[dict[str, str]]:
    claims = [
        {"uri": CLAIM_URIS[field], "value": str(getattr(user, field))}
        for field in ("username", "email", "given_name", "family_name", "phone")
        if getattr(user, field)
    ]
    for name, value in sorted((user.attributes or {}).items()):
        if isinstance(value, (str, int, float, bool)):
            claims.append({"uri": claim_uri(name), "value": str(value)})
    return claims


def user_out(*, user_id: str, username: str = "", organization: Organization, user: User | None = None) -> dict:
    """``{id, claims, organization, ref}``; the stored user gives its claims when it still exists."""
    claims = user_claims(user) if user is not None else ([{"uri": CLAIM_URIS["username"], "value": username}])
    return {
        "id": user_id,
        "claims": claims,
        "organization": organization_out(organization),
        "ref": f"{settings.IAM_BASE_URL}{organization.url_prefix}/scim2/Users/{user_id}",
    }


def initiator_type(payload: dict[str, Any], *, subject_id: str | None = None) -> str:
    """Who caused the event: an explicit ``initiatorType`` wins, else it follows from the actor.

    The subject acting on their own account is USER, another user is ADMIN, an
    application (client credentials token) is APPLICATION, nobody is SYSTEM."""
    explicit = payload.get("initiatorType")
    if explicit in INITIATOR_TYPES:
        return explicit
    actor_type = payload.get("actorType")
    if actor_type in {"user", "agent"}:
        return "USER" if subject_id is not None and payload.get("actorId") == subject_id else "ADMIN"
    if actor_type == "application":
        return "APPLICATION"
    return "SYSTEM"


def application_out(payload: dict[str, Any], *, with_key: bool = False) -> dict[str, str] | None:
    if not payload.get("applicationId") and not payload.get("clientId"):
        return None
    out = {"id": str(payload.get("applicationId") or ""), "name": str(payload.get("applicationName") or "")}
    if with_key:
        out["consumerKey"] = str(payload.get("clientId") or "")
    return out


# --- event builders -------------------------------------------------------------------------------


class Context:
    """What every builder needs: the event, its organization and (lazily) its user."""

    def __init__(
        self, event: OutboxEvent, organization: Organization, users: dict[str, User | None] | None = None
    ) -> None:
        self.event = event
        self.payload: dict[str, Any] = event.payload or {}
        self.organization = organization
        self._user: User | bool | None = False
        if users is not None and self.user_id in users:
            self._user = users[self.user_id]  # loaded with the rest of a batch

    @property
    def user_id(self) -> str:
        return str(self.payload.get("userId") or self.payload.get("id") or "")

    @property
    def user(self) -> User | None:
        if self._user is False:
            self._user = (
                User.objects.select_related("organization", "organization__root").filter(pk=self.user_id).first()
                if self.user_id
                else None
            )
        return self._user  # type: ignore[return-value]

    def user_out(self) -> dict[str, Any]:
        user = self.user
        organization = user.organization if user is not None else self.organization
        return user_out(
            user_id=self.user_id, username=str(self.payload.get("username", "")), organization=organization, user=user
        )

    def base(self, *, subject: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"initiatorType": initiator_type(self.payload, subject_id=self.user_id or None)}
        if self.payload.get("ip"):
            body["initiatorIpAddress"] = self.payload["ip"]
        if subject:
            body["user"] = self.user_out()
        body["tenant"] = tenant_out(self.organization)
        body["organization"] = organization_out(self.organization)
        body["userStore"] = user_store()
        return body


Built = tuple[str, dict[str, Any]] | None
Builder = Callable[[Context], Built]


def _user_created(c: Context) -> Built:
    return ch.event_uri(ch.USER, "userCreated"), {**c.base(), "action": "CREATE"}


def _profile_changes(c: Context) -> tuple[list[dict], list[dict], list[dict]]:
    """Added, updated and removed claims from the payload's ``previous``/``current`` values."""
    previous: dict[str, Any] = dict(c.payload.get("previous") or {})
    current: dict[str, Any] = dict(c.payload.get("current") or {})
    # Custom attributes change one by one, as claims of their own.
    old_attrs = previous.pop("attributes", None) or {}
    new_attrs = current.pop("attributes", None) or {}
    previous.update(old_attrs)
    current.update(new_attrs)
    added, updated, removed = [], [], []
    for name in sorted(set(previous) | set(current)):
        old, new = previous.get(name), current.get(name)
        if old == new:
            continue
        if old in (None, ""):
            added.append({"uri": claim_uri(name), "value": str(new)})
        elif new in (None, ""):
            removed.append({"uri": claim_uri(name), "value": str(old)})
        else:
            updated.append({"uri": claim_uri(name), "value": str(new)})
    return added, updated, removed


def _user_updated(c: Context) -> Built:
    body = c.base()
    added, updated, removed = _profile_changes(c)
    body["user"].update({"addedClaims": added, "updatedClaims": updated, "removedClaims": removed})
    return ch.event_uri(ch.USER, "userProfileUpdated"), {**body, "action": "UPDATE"}


def _credential_updated(c: Context) -> Built:
    body = c.base()
    action = c.payload.get("action")
    if action not in {"UPDATE", "RESET", "INVITE"}:
        action = (
            "INVITE" if c.payload.get("completesInvite") else "RESET" if c.payload.get("completesReset") else "UPDATE"
        )
    if (c.payload.get("completesReset") or c.payload.get("completesInvite")) and body["initiatorType"] == "USER":
        body["initiatorType"] = "ADMIN"  # WSO2: completing an admin-forced reset / an invite is ADMIN-initiated
    return ch.event_uri(ch.CREDENTIAL, "credentialUpdated"), {**body, "credentialType": "PASSWORD", "action": action}


def _state_changed(c: Context) -> Built:
    state, previous = c.payload.get("state"), c.payload.get("previousState")
    if state == "locked":
        name = "userAccountLocked"
    elif state == "disabled":
        name = "userDisabled"
    elif state == "active" and previous == "locked":
        name = "userAccountUnlocked"
    elif state == "active" and previous == "disabled":
        name = "userEnabled"
    else:
        return None  # pending states are not WSO2 events
    return ch.event_uri(ch.USER, name), {**c.base(), "action": "UPDATE"}


def _user_deleted(c: Context) -> Built:
    body = c.base()
    body["user"] = user_out(user_id=c.user_id, username=str(c.payload.get("username", "")), organization=c.organization)
    return ch.event_uri(ch.USER, "userDeleted"), {**body, "action": "DELETE"}


def _login_succeeded(c: Context) -> Built:
    body = c.base()
    application = application_out(c.payload)
    if application:
        body["application"] = application
    body["authenticationMethods"] = list(c.payload.get("authenticationMethods") or [AUTHENTICATOR_BASIC])
    return ch.event_uri(ch.LOGIN, "loginSuccess"), body


def _login_failed(c: Context) -> Built:
    # Never the stored account: only what was entered, as WSO2 sends it, so the
    # payload does not tell whether the username exists.
    body = c.base(subject=False)
    body["initiatorType"] = "USER"
    entered = str(c.payload.get("username") or "")
    body["user"] = {"claims": [{"uri": CLAIM_URIS["username"], "value": entered}] if entered else []}
    application = application_out(c.payload)
    if application:
        body["application"] = application
    authenticator = c.payload.get("authenticator") or AUTHENTICATOR_BASIC
    body["reason"] = {
        "description": "Authentication failed.",
        "context": {"failedStep": {"step": 1, "idp": "LOCAL", "authenticator": authenticator}},
    }
    return ch.event_uri(ch.LOGIN, "loginFailed"), body


def _token_issued(c: Context) -> Built:
    body = c.base(subject=bool(c.user_id))
    body["initiatorType"] = "USER" if c.user_id else "APPLICATION"
    body["application"] = application_out(c.payload, with_key=True) or {}
    body["accessToken"] = {
        "tokenType": c.payload.get("tokenType", "Opaque"),
        "iat": c.payload.get("iat"),
        "grantType": c.payload.get("grantType", ""),
    }
    if c.payload.get("scopes"):
        body["accessToken"]["scopes"] = list(c.payload["scopes"])
    return ch.event_uri(ch.TOKEN, "accessTokenIssued"), body


def _token_revoked(c: Context) -> Built:
    body = c.base(subject=bool(c.user_id))
    body["applications"] = [
        {"id": str(a.get("id", "")), "name": str(a.get("name", "")), "consumerKey": str(a.get("clientId", ""))}
        for a in c.payload.get("applications") or []
    ]
    return ch.event_uri(ch.TOKEN, "accessTokenRevoked"), body


def _registration(c: Context, *, success: bool) -> Built:
    body = c.base(subject=True)
    action = c.payload.get("action") if c.payload.get("action") in {"REGISTER", "INVITE"} else "REGISTER"
    body["action"] = action
    application = application_out(c.payload)
    if application:
        body["application"] = application
    if not c.user_id:  # a failed registration has no account: only the claims entered
        body["user"].pop("id", None)
        body["user"].pop("ref", None)
    if not success:
        body["reason"] = {"description": str(c.payload.get("reason") or "Registration failed.")}
        return ch.event_uri(ch.REGISTRATION, "registrationFailed"), body
    return ch.event_uri(ch.REGISTRATION, "registrationSuccess"), body


def _session(c: Context, name: str) -> Built:
    body = c.base()
    if "initiatorType" not in c.payload and "actorType" not in c.payload:
        # The login portal's events (apps.authn) name an actor only when it is not the user.
        actor = c.payload.get("actorId")
        body["initiatorType"] = "ADMIN" if actor and actor != c.user_id else "USER"
    application = application_out(c.payload)
    if application:
        body["application"] = application
    login_time = c.payload.get("loginTime")
    if login_time is None and name == "sessionEstablished":
        login_time = int(c.event.created.timestamp())
    if name == "sessionRevoked":
        sessions = c.payload.get("sessions") or ([{"id": c.payload["sessionId"]}] if c.payload.get("sessionId") else [])
        body["sessions"] = [
            {"id": str(s.get("id", "")), "loginTime": s.get("loginTime"), "applications": s.get("applications", [])}
            for s in sessions
        ]
    else:
        body["session"] = {
            "id": str(c.payload.get("sessionId", "")),
            "loginTime": login_time,
            "applications": list(c.payload.get("applications") or []),
        }
    if c.payload.get("methods"):
        body["authenticationMethods"] = list(c.payload["methods"])
    return ch.event_uri(ch.SESSION, name), body


BUILDERS: dict[str, Builder] = {
    "user.created": _user_created,
    "user.updated": _user_updated,
    "user.password_updated": _credential_updated,
    "user.state_changed": _state_changed,
    "user.deleted": _user_deleted,
    "login.succeeded": _login_succeeded,
    "login.failed": _login_failed,
    "token.issued": _token_issued,
    "token.revoked": _token_revoked,
    "registration.succeeded": lambda c: _registration(c, success=True),
    "registration.failed": lambda c: _registration(c, success=False),
    "session.established": lambda c: _session(c, "sessionEstablished"),
    "session.presented": lambda c: _session(c, "sessionPresented"),
    "session.revoked": lambda c: _session(c, "sessionRevoked"),
    # The login portal (apps.authn): a completed login flow starts an SSO session; logout and
    # revocation end one.
    "authentication.succeeded": lambda c: _session(c, "sessionEstablished"),
    "session.terminated": lambda c: _session(c, "sessionRevoked"),
}
# Which channel an outbox event type can land in (before the builder looks at the payload).
CHANNEL_OF_EVENT_TYPE = {
    "user.created": ch.USER,
    "user.updated": ch.USER,
    "user.password_updated": ch.CREDENTIAL,
    "user.state_changed": ch.USER,
    "user.deleted": ch.USER,
    "login.succeeded": ch.LOGIN,
    "login.failed": ch.LOGIN,
    "token.issued": ch.TOKEN,
    "token.revoked": ch.TOKEN,
    "registration.succeeded": ch.REGISTRATION,
    "registration.failed": ch.REGISTRATION,
    "session.established": ch.SESSION,
    "session.presented": ch.SESSION,
    "session.revoked": ch.SESSION,
    "authentication.succeeded": ch.SESSION,
    "session.terminated": ch.SESSION,
}


def envelope(*, jti: str, iat_ms: int, rci: str, iss: str, event_type: str, body: dict[str, Any]) -> str:
    """The request body, serialized once (compact, key order kept)."""
    document = {"iss": iss, "jti": jti, "iat": iat_ms, "rci": rci, "events": {event_type: body}}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def payload_users_load(events: list[OutboxEvent]) -> dict[str, User | None]:
    """The users a batch of events names, in one query (None for a user that no longer exists)."""
    ids = {str((e.payload or {}).get("userId") or (e.payload or {}).get("id") or "") for e in events}
    ids = {value for value in ids if len(value) == 36}
    if not ids:
        return {}
    found = User.objects.select_related("organization", "organization__root").filter(pk__in=ids)
    users: dict[str, User | None] = dict.fromkeys(ids)
    users.update({str(user.pk): user for user in found})
    return users


def webhook_payload_build(
    event: OutboxEvent, organization: Organization, *, users: dict[str, User | None] | None = None
) -> tuple[str, str] | None:
    """``(event type URI, body)`` for an outbox event, or None when it is not a webhook event."""
    builder = BUILDERS.get(event.event_type)
    if builder is None:
        return None
    built = builder(Context(event, organization, users))
    if built is None:
        return None
    uri, body = built
    iat_ms = int(event.created.timestamp() * 1000)
    body_text = envelope(
        jti=str(event.id), iat_ms=iat_ms, rci=event.request_id, iss=issuer(organization), event_type=uri, body=body
    )
    return uri, body_text
