"""Signing in through an upstream IdP, independent of the login portal.

1. ``federated_authorization_start(idp=..., purpose=..., reference=...)``: a pending request
   (state, nonce, PKCE verifier) and the upstream authorization URL to redirect the browser to.
2. The upstream IdP redirects to ``callback_url(organization)`` (``/commonauth``); the callback
   finds the request with ``federated_request_for_state`` and hands it to the continuation
   registered for its ``purpose`` (``register_callback``; ``login`` is the login portal).
3. ``federated_authorization_complete(auth_request=..., code=...)``: the code exchange and ID token
   verification; returns a ``FederatedIdentity`` (IdP, subject, claims).
4. ``federated_user_resolve(identity=...)``: existing association -> that user; else account
   lookup mappings -> link; else JIT -> create the user; else a failure with a clear message.

Every failure is ``FederationFailed`` with a ``reason`` (audit) and a ``message`` (user)."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.attributes.models import COLUMN_STORAGE, LOCAL_CLAIM_PREFIX
from apps.attributes.selectors import AttributeDefinition, attribute_definitions
from apps.core.errors import DomainError
from apps.idp.models import FederatedAuthRequest, IdentityProvider
from apps.idp.secrets import SealedSecretError, client_secret_open
from apps.idp.services import oidc
from apps.idp.services.associations import association_create, association_local_user
from apps.users.models import User

log = logging.getLogger(__name__)

REQUEST_LIFETIME = timedelta(minutes=10)
USERNAME_URI = f"{LOCAL_CLAIM_PREFIX}username"
EMAIL_URI = f"{LOCAL_CLAIM_PREFIX}emailaddress"
# Claims about the token, not the person: never mapped into a profile.
PROTOCOL_CLAIMS = frozenset(
    {"iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "azp", "auth_time", "jti"}
)


class FederationFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _generic_failure(idp_name: str) -> str:
    return _("Signing in with %(idp)s did not work. Please try again.") % {"idp": idp_name}


# --- the redirect ---------------------------------------------------------------------------------------


def callback_url(organization: Any) -> str:
    """The redirect URI to register at the upstream IdP: ``{base}{tenant}/commonauth``."""
    from apps.oauth.issuer import tenant_prefix

    return f"{settings.IAM_BASE_URL}{tenant_prefix(organization)}/commonauth"


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuthorizationStart:
    url: str  # where to send the browser
    request_id: str  # the pending FederatedAuthRequest (bind it to the browser)
    state: str


def federated_authorization_start(
    *,
    idp: IdentityProvider,
    purpose: str = "login",
    reference: str = "",
    redirect_uri: str | None = None,
    extra_params: dict[str, str] | None = None,
) -> AuthorizationStart:
    """Create the pending request and the upstream authorization URL (code flow, PKCE S256, state, nonce)."""
    if not idp.is_enabled:
        raise FederationFailed("idp_disabled", _("Signing in with %(idp)s is turned off.") % {"idp": idp.name})
    state, nonce = oidc.new_secret(), oidc.new_secret()
    verifier = secrets.token_urlsafe(48) if idp.pkce else ""
    redirect_uri = redirect_uri or callback_url(idp.organization)
    # Requests nobody came back for: gone an hour after they expired (an indexed range delete).
    FederatedAuthRequest.objects.filter(expires__lt=timezone.now() - timedelta(hours=1)).delete()
    request = FederatedAuthRequest.objects.create(
        organization_id=idp.organization_id,
        idp=idp,
        state_hash=state_hash(state),
        nonce=nonce,
        code_verifier=verifier,
        redirect_uri=redirect_uri,
        purpose=purpose[:32],
        reference=reference[:64],
        expires=timezone.now() + REQUEST_LIFETIME,
    )
    url = oidc.authorization_url(
        idp, redirect_uri=redirect_uri, state=state, nonce=nonce, code_verifier=verifier, extra=extra_params
    )
    return AuthorizationStart(url=url, request_id=str(request.pk), state=state)


def federated_request_for_state(*, organization: Any, state: Any) -> FederatedAuthRequest | None:
    """The live, unused pending request of ``organization`` that ``state`` belongs to."""
    if not isinstance(state, str) or not state or len(state) > 512:
        return None
    return (
        FederatedAuthRequest.objects.select_related("idp", "idp__organization")
        .filter(
            organization_id=organization.pk,
            state_hash=state_hash(state),
            used_at__isnull=True,
            expires__gt=timezone.now(),
        )
        .first()
    )


# --- continuations after the callback --------------------------------------------------------------------

CallbackHandler = Callable[[Any, FederatedAuthRequest], Any]
_callback_handlers: dict[str, CallbackHandler] = {}


def register_callback(purpose: str, handler: CallbackHandler) -> None:
    """``handler(request, auth_request) -> HttpResponse`` continues requests started with ``purpose``."""
    _callback_handlers[purpose] = handler


def callback_handler(purpose: str) -> CallbackHandler | None:
    return _callback_handlers.get(purpose)


# --- the code exchange ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FederatedIdentity:
    idp: IdentityProvider
    subject: str
    claims: dict[str, Any] = field(default_factory=dict)

    def as_state(self) -> dict[str, Any]:
        """JSON for a flow's state (a login flow keeps it between the callback and the next page)."""
        return {"idp": self.idp.name, "idpId": str(self.idp.pk), "subject": self.subject, "claims": self.claims}


def identity_from_state(organization: Any, data: Any) -> FederatedIdentity | None:
    if not isinstance(data, dict):
        return None
    idp = IdentityProvider.objects.for_org(organization).filter(pk=data.get("idpId")).first()
    if idp is None or not isinstance(data.get("subject"), str):
        return None
    claims = data.get("claims") if isinstance(data.get("claims"), dict) else {}
    return FederatedIdentity(idp=idp, subject=data["subject"], claims=claims)


def claim_value(claims: dict[str, Any], name: str) -> Any:
    """``claims[name]``, or a dotted path into nested objects (``address.country``)."""
    if name in claims:
        return claims[name]
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def federated_authorization_complete(
    *, auth_request: FederatedAuthRequest, code: Any, error: Any = ""
) -> FederatedIdentity:
    """Exchange ``code`` for tokens at the upstream IdP, verify the ID token, read userinfo.

    The pending request is spent first, so a replayed callback fails even if the exchange fails."""
    idp = auth_request.idp
    spent = FederatedAuthRequest.objects.filter(pk=auth_request.pk, used_at__isnull=True).update(used_at=timezone.now())
    if spent != 1:
        raise FederationFailed("state_replayed", _generic_failure(idp.name))
    if error:
        cancelled = _("Signing in with %(idp)s was cancelled or refused.") % {"idp": idp.name}
        raise FederationFailed(f"upstream_error:{str(error)[:40]}", cancelled)
    if not isinstance(code, str) or not code or len(code) > 2048:
        raise FederationFailed("no_code", _generic_failure(idp.name))
    try:
        secret = client_secret_open(idp.client_secret_sealed, idp_id=idp.pk)
    except SealedSecretError as exc:
        log.error("idp %s: the client secret cannot be opened (master key changed?)", idp.pk)
        raise FederationFailed("client_secret_unreadable", _generic_failure(idp.name)) from exc
    try:
        tokens = oidc.token_request(
            idp,
            client_secret=secret,
            code=code,
            redirect_uri=auth_request.redirect_uri,
            code_verifier=auth_request.code_verifier,
        )
        if idp.protocol == IdentityProvider.Protocol.OIDC:
            if "id_token" not in tokens:
                raise oidc.UpstreamError("token_response_no_id_token")
            claims = oidc.id_token_verify(idp, tokens["id_token"], nonce=auth_request.nonce)
            if idp.use_userinfo and idp.userinfo_endpoint:
                info = oidc.userinfo_get(idp, tokens["access_token"])
                if info.get("sub") != claims["sub"]:
                    raise oidc.UpstreamError("userinfo_subject_mismatch")
                claims = {**info, **claims}
        else:
            claims = oidc.userinfo_get(idp, tokens["access_token"])
    except oidc.UpstreamError as exc:
        log.warning("idp %s (%s): federated sign-in failed: %s", idp.name, idp.pk, exc)
        raise FederationFailed(exc.reason, _generic_failure(idp.name)) from exc
    subject = claim_value(claims, idp.subject_claim)
    if isinstance(subject, bool) or not isinstance(subject, (str, int)) or str(subject) == "":
        raise FederationFailed("no_subject", _generic_failure(idp.name))
    profile_claims = {key: value for key, value in claims.items() if key not in PROTOCOL_CLAIMS}
    return FederatedIdentity(idp=idp, subject=str(subject)[:255], claims=profile_claims)


# --- who is it locally -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """``how``: ``associated`` | ``linked`` | ``provisioned`` (``user`` set), ``prompt`` (ask the user
    for ``missing`` attributes, then call again with ``provided``), or ``failed``."""

    how: str
    user: User | None = None
    reason: str = ""
    message: str = ""
    missing: tuple[AttributeDefinition, ...] = ()
    profile: dict[str, Any] = field(default_factory=dict)  # local claim URI -> value from the IdP
    username: str = ""

    @property
    def ok(self) -> bool:
        return self.user is not None


def _definitions(organization: Any) -> dict[str, AttributeDefinition]:
    return {d.claim_uri: d for d in attribute_definitions(organization=organization)}


def _plain(value: Any) -> Any:
    if isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, list) and all(isinstance(item, (str, int, float, bool)) for item in value):
        return value
    return None


def mapped_profile(idp: IdentityProvider, claims: dict[str, Any]) -> dict[str, Any]:
    """Local claim URI -> the federated value, per the IdP's attribute mappings."""
    profile: dict[str, Any] = {}
    for mapping in idp.claim_mappings or []:
        value = _plain(claim_value(claims, mapping["federated"]))
        if value is not None and value != "" and value != []:
            profile[mapping["local"]] = value
    return profile


def _lookup(idp: IdentityProvider, claims: dict[str, Any]) -> list[User] | None:
    """Local users matching every lookup mapping (at most two are fetched); None when the
    IdP did not send a value for one of them."""
    definitions = _definitions(idp.organization)
    users = User.objects.filter(organization_id=idp.organization_id)
    for mapping in idp.lookup_mappings or []:
        value = _plain(claim_value(claims, mapping["federated"]))
        definition = definitions.get(mapping["local"])
        if value is None or value == "" or isinstance(value, list) or definition is None:
            return None
        text = str(value).lower() if isinstance(value, bool) else str(value)
        storage = definition.storage
        if storage in COLUMN_STORAGE:
            exact = "iexact" if storage in ("username", "email") else "exact"
            users = users.filter(**{f"{storage}__{exact}": text})
        else:
            # JSON equality; a numeric or boolean attribute is stored typed, so try that form too
            lookup = f"attributes__{storage}"
            match = Q(**{lookup: text})
            if isinstance(value, bool) or text in ("true", "false"):
                match |= Q(**{lookup: text == "true"})
            elif re.fullmatch(r"-?[0-9]{1,18}", text):
                match |= Q(**{lookup: int(text)})
            users = users.filter(match)
    return list(users.order_by("created")[:2])


def _username_for(identity: FederatedIdentity, profile: dict[str, Any]) -> str:
    from apps.authn.services.lockout import user_find
    from apps.users.services.validation import normalize_username

    idp, claims = identity.idp, identity.claims
    candidates = [
        profile.get(USERNAME_URI),
        profile.get(EMAIL_URI),
        claims.get("preferred_username"),
        claims.get("email"),
        f"{idp.name}-{identity.subject}",
    ]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate:
            continue
        try:
            name = normalize_username(candidate.replace(" ", "-"))
        except DomainError:
            continue
        if user_find(organization=idp.organization, username=name) is None:
            return name
        # taken by someone else: never take over a local account; add a random suffix
        suffixed = f"{name[:140]}-{secrets.token_hex(3)}"
        if user_find(organization=idp.organization, username=suffixed) is None:
            return suffixed
    return f"user-{secrets.token_hex(6)}"


def _missing_required(organization: Any, profile: dict[str, Any]) -> tuple[AttributeDefinition, ...]:
    missing = []
    for definition in attribute_definitions(organization=organization):
        if not definition.required or definition.read_only or definition.data_type == "complex":
            continue
        if definition.claim_uri == USERNAME_URI:
            continue
        if definition.storage not in COLUMN_STORAGE and not definition.in_attributes:
            continue
        if profile.get(definition.claim_uri) in (None, "", []):
            missing.append(definition)
    return tuple(missing)


def _user_fields(organization: Any, profile: dict[str, Any]) -> dict[str, Any]:
    """``user_create``/``user_update`` keyword arguments from a profile (local claim URI -> value)."""
    definitions = _definitions(organization)
    fields: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    for uri, value in profile.items():
        definition = definitions.get(uri)
        if definition is None or uri == USERNAME_URI:
            continue
        if definition.storage in COLUMN_STORAGE:
            fields[definition.storage] = value if isinstance(value, str) else str(value)
        elif definition.in_attributes:
            attributes[definition.storage] = value
    if attributes:
        fields["attributes"] = attributes
    return fields


def _attributes_sync(idp: IdentityProvider, user: User, profile: dict[str, Any]) -> None:
    """Refresh a linked account from the IdP per ``attribute_sync``; a bad upstream value is
    logged, never a reason to refuse the sign-in."""
    from apps.users.services import user_update

    if idp.attribute_sync == IdentityProvider.SyncMethod.NONE or not profile:
        return
    fields = _user_fields(idp.organization, profile)
    attributes = fields.pop("attributes", {})
    current = dict(user.attributes) if isinstance(user.attributes, dict) else {}
    if idp.attribute_sync == IdentityProvider.SyncMethod.PRESERVE_LOCAL:
        fields = {key: value for key, value in fields.items() if not getattr(user, key, "")}
        attributes = {key: value for key, value in attributes.items() if current.get(key) in (None, "", [])}
    if attributes:
        fields["attributes"] = {**current, **attributes}
    if not fields:
        return
    try:
        with transaction.atomic():
            user_update(actor=None, user=user, **fields)
    except DomainError as exc:
        log.warning("idp %s: attributes of user %s not synced: %s", idp.name, user.pk, exc.message)


def _account_usable(user: User) -> bool:
    if user.state == User.State.LOCKED and user.locked_until and user.locked_until <= timezone.now():
        return True  # an expired lock: the password path unlocks it the same way
    return user.is_active and user.organization.is_active


def _unusable(identity: FederatedIdentity) -> Resolution:
    return Resolution(
        how="failed",
        reason="account_unavailable",
        message=_("This account cannot sign in right now. Contact your administrator."),
    )


def federated_account_match(*, identity: FederatedIdentity) -> User | None:
    """The local account ``identity`` already belongs to, changing nothing: its association, else
    the one user the IdP's account-lookup mappings match (when account linking is on). Federated
    sign-up uses it to refuse a second account for the same person."""
    idp = identity.idp
    user = association_local_user(idp=idp, subject=identity.subject)
    if user is not None or not (idp.associate_local_user and idp.lookup_mappings):
        return user
    matches = _lookup(idp, identity.claims)
    return matches[0] if matches is not None and len(matches) == 1 else None


def federated_user_resolve(
    *,
    identity: FederatedIdentity,
    provided: dict[str, Any] | None = None,
    prompt: bool = True,
) -> Resolution:
    """Find or create the local user of ``identity``.

    ``provided`` (local claim URI -> value) completes a JIT profile after a ``prompt``
    resolution; ``prompt=False`` makes missing attributes a failure instead (a flow without UI)."""
    idp = identity.idp
    user = association_local_user(idp=idp, subject=identity.subject)
    profile = mapped_profile(idp, identity.claims)
    if user is not None:
        if not _account_usable(user):
            return _unusable(identity)
        _attributes_sync(idp, user, profile)
        return Resolution(how="associated", user=user, profile=profile)

    if idp.associate_local_user and idp.lookup_mappings:
        matches = _lookup(idp, identity.claims)
        if matches is not None and len(matches) == 1:
            user = matches[0]
            if not _account_usable(user):
                return _unusable(identity)
            association_create(actor=None, user=user, idp=idp, subject=identity.subject, via="lookup")
            _attributes_sync(idp, user, profile)
            return Resolution(how="linked", user=user, profile=profile)
        if matches is not None and len(matches) > 1:
            log.warning("idp %s: account lookup matched several users; nothing linked", idp.name)
        if idp.skip_jit_for_lookup_failure:
            return Resolution(
                how="failed",
                reason="lookup_failed",
                message=_("No account of this organization matches your %(idp)s account.") % {"idp": idp.name},
            )

    if not idp.jit_enabled:
        return Resolution(
            how="failed",
            reason="no_local_account",
            message=_(
                "Your %(idp)s account is not linked to an account of this organization. "
                "Ask your administrator to link it."
            )
            % {"idp": idp.name},
        )
    return _provision(identity, profile, provided=provided, prompt=prompt)


def _provision(
    identity: FederatedIdentity, profile: dict[str, Any], *, provided: dict[str, Any] | None, prompt: bool
) -> Resolution:
    from apps.users.services import user_create

    idp = identity.idp
    organization = idp.organization
    username = _username_for(identity, profile)
    if provided:
        profile = {**profile, **{uri: value for uri, value in provided.items() if value not in (None, "")}}
    missing = _missing_required(organization, profile)
    wants_consent = idp.jit_scheme == IdentityProvider.JitScheme.PROMPT_CONSENT and provided is None
    if missing or wants_consent:
        if not prompt:
            return Resolution(
                how="failed",
                reason="jit_missing_attributes",
                message=_("Your %(idp)s account does not provide %(names)s, which this organization requires.")
                % {"idp": idp.name, "names": ", ".join(d.display_name for d in missing)},
            )
        return Resolution(how="prompt", missing=missing, profile=profile, username=username)
    fields = _user_fields(organization, profile)
    try:
        with transaction.atomic():
            user = user_create(actor=None, organization=organization, username=username, password=None, **fields)
            association_create(actor=None, user=user, idp=idp, subject=identity.subject, via="jit")
    except DomainError as exc:
        # A value the IdP sent (or the user typed) is not valid here: let the user correct that one.
        culprit = next(
            (d for d in attribute_definitions(organization=organization) if exc.field in (d.storage, d.claim_uri)),
            None,
        )
        if not prompt or culprit is None or culprit.read_only or culprit.claim_uri == USERNAME_URI:
            return Resolution(how="failed", reason="jit_invalid_profile", message=exc.message)
        profile = {uri: value for uri, value in profile.items() if uri != culprit.claim_uri}
        return Resolution(how="prompt", missing=(culprit,), profile=profile, username=username, message=exc.message)
    return Resolution(how="provisioned", user=user, profile=profile)
