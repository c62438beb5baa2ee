"""Writes to identity providers: create from a template, update, refresh metadata, delete.

One validation path (``_validate``) for the API and the Console. Claim mappings and
account-lookup mappings name local attributes, checked against ``apps.attributes``.
Codes use WSO2's ``IDP-`` prefix."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.attributes.models import DERIVED_STORAGE
from apps.attributes.selectors import local_claim_get
from apps.core.audit import audit_record
from apps.core.errors import Conflict, InvalidInput
from apps.core.events import emit
from apps.idp.catalog import TEMPLATES, template_defaults
from apps.idp.models import IdentityProvider
from apps.idp.secrets import client_secret_seal
from apps.idp.services.oidc import metadata_fetch, url_check

MAX_LOOKUP_MAPPINGS = 2
MAX_CLAIM_MAPPINGS = 100
MAX_SCOPES = 50
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]{1,255}$")  # RFC 6749 §3.3
_CLAIM_NAME = re.compile(r"^[^\s\x00-\x1f]{1,255}$")

EDITABLE_FIELDS = (
    "name",
    "description",
    "image_url",
    "is_enabled",
    "protocol",
    "discovery_url",
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "client_id",
    "client_secret",
    "token_endpoint_auth_method",
    "scopes",
    "pkce",
    "use_userinfo",
    "subject_claim",
    "claim_mappings",
    "jit_enabled",
    "jit_scheme",
    "attribute_sync",
    "associate_local_user",
    "skip_jit_for_lookup_failure",
    "lookup_mappings",
)
BOOLEAN_FIELDS = (
    "is_enabled",
    "pkce",
    "use_userinfo",
    "jit_enabled",
    "associate_local_user",
    "skip_jit_for_lookup_failure",
)
ENDPOINT_FIELDS = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
ENDPOINT_LABELS = {
    "discovery_url": "Discovery URL",
    "issuer": "Issuer",
    "authorization_endpoint": "Authorization endpoint",
    "token_endpoint": "Token endpoint",
    "userinfo_endpoint": "Userinfo endpoint",
    "jwks_uri": "JWKS URI",
}


def _bad(message: str, *, field: str | None = None, code: str = "IDP-60001") -> InvalidInput:
    return InvalidInput(code, message, field=field)


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(_("%(field)s must be text.") % {"field": field}, field=field)
    value = value.strip()
    if "\x00" in value or len(value) > max_length:
        raise _bad(_("%(field)s must be at most %(n)d characters.") % {"field": field, "n": max_length}, field=field)
    if required and not value:
        raise InvalidInput("IDP-60002", _("%(field)s is required.") % {"field": field}, field=field)
    return value


def _clean_name(value: Any) -> str:
    name = _text(value, field="name", max_length=100, required=True)
    if any(ch in name for ch in "/\\:") or any(ord(ch) < 32 for ch in name):
        raise _bad(_("The name must not contain “/”, “\\”, “:” or control characters."), field="name")
    return name


def _clean_scopes(value: Any, protocol: str) -> list[str]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list) or len(value) > MAX_SCOPES or not all(isinstance(s, str) for s in value):
        raise _bad(_("Scopes must be a list of scope names."), field="scopes")
    scopes = list(dict.fromkeys(s.strip() for s in value if s.strip()))
    for scope in scopes:
        if not _SCOPE_TOKEN.match(scope):
            raise _bad(_("“%(s)s” is not a valid scope name.") % {"s": scope[:64]}, field="scopes")
    if protocol == IdentityProvider.Protocol.OIDC and "openid" not in scopes:
        scopes.insert(0, "openid")
    return scopes


def _local_claim(organization: Any, uri: Any, *, field: str) -> Any:
    if not isinstance(uri, str) or not uri:
        raise InvalidInput("IDP-60002", _("A local attribute is required."), field=field)
    claim = local_claim_get(organization=organization, claim_uri=uri)
    if claim is None:
        raise _bad(_("Unknown local attribute %(uri)s.") % {"uri": uri[:200]}, field=field, code="IDP-60004")
    return claim


def _federated_name(value: Any, *, field: str) -> str:
    if not isinstance(value, str) or not _CLAIM_NAME.match(value.strip()):
        raise InvalidInput("IDP-60002", _("A federated attribute name is required."), field=field)
    return value.strip()


def _mapping_pairs(value: Any, *, field: str) -> list[dict[str, Any]]:
    """Accept ``[{"federated", "local"}]`` and WSO2's ``{"federatedAttribute", "localAttribute"}`` /
    ``{"idpClaim", "localClaim": {"uri"}}`` spellings."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _bad(_("Mappings must be a list of objects."), field=field)
    pairs = []
    for item in value:
        federated = item.get("federated", item.get("federatedAttribute", item.get("idpClaim")))
        local = item.get("local", item.get("localAttribute", item.get("localClaim")))
        if isinstance(local, dict):
            local = local.get("uri")
        pairs.append({"federated": federated, "local": local})
    return pairs


def _clean_claim_mappings(organization: Any, value: Any) -> list[dict[str, str]]:
    pairs = _mapping_pairs(value, field="claim_mappings")
    if len(pairs) > MAX_CLAIM_MAPPINGS:
        raise _bad(_("At most %(n)d attribute mappings.") % {"n": MAX_CLAIM_MAPPINGS}, field="claim_mappings")
    out: list[dict[str, str]] = []
    seen_local: set[str] = set()
    for pair in pairs:
        federated = _federated_name(pair["federated"], field="claim_mappings")
        claim = _local_claim(organization, pair["local"], field="claim_mappings")
        if claim.storage in DERIVED_STORAGE:
            raise _bad(
                _("%(uri)s is computed by the server and cannot be mapped.") % {"uri": claim.claim_uri},
                field="claim_mappings",
            )
        if claim.claim_uri in seen_local:
            raise _bad(
                _("%(uri)s is mapped twice.") % {"uri": claim.claim_uri}, field="claim_mappings", code="IDP-60003"
            )
        seen_local.add(claim.claim_uri)
        out.append({"federated": federated, "local": claim.claim_uri})
    return out


def _clean_lookup_mappings(organization: Any, value: Any) -> list[dict[str, str]]:
    pairs = _mapping_pairs(value, field="lookup_mappings")
    if len(pairs) > MAX_LOOKUP_MAPPINGS:
        raise _bad(
            _("At most %(n)d account lookup attribute mappings are allowed.") % {"n": MAX_LOOKUP_MAPPINGS},
            field="lookup_mappings",
            code="IDP-60005",
        )
    out: list[dict[str, str]] = []
    for pair in pairs:
        federated = _federated_name(pair["federated"], field="lookup_mappings")
        claim = _local_claim(organization, pair["local"], field="lookup_mappings")
        if claim.storage in DERIVED_STORAGE or claim.data_type == "complex":
            raise _bad(
                _("%(uri)s cannot be used to look up accounts.") % {"uri": claim.claim_uri}, field="lookup_mappings"
            )
        if any(item["local"] == claim.claim_uri for item in out):
            raise _bad(_("%(uri)s is used twice.") % {"uri": claim.claim_uri}, field="lookup_mappings")
        out.append({"federated": federated, "local": claim.claim_uri})
    return out


def _choice(value: Any, choices: Any, *, field: str) -> str:
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise _bad(_("%(field)s must be one of %(allowed)s.") % {"field": field, "allowed": allowed}, field=field)
    return value


def _apply(idp: IdentityProvider, changes: dict[str, Any]) -> None:
    """Parse ``changes`` onto ``idp`` (not saved). Unknown fields are an error."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise _bad(_("Unknown field: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    organization = idp.organization
    for field, value in changes.items():
        if field == "name":
            idp.name = _clean_name(value)
        elif field in ("description",):
            idp.description = _text(value, field=field, max_length=1024)
        elif field == "image_url":
            idp.image_url = url_check(value, field=field, label="Image URL", required=False)
        elif field in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                raise _bad(_("%(field)s must be true or false.") % {"field": field}, field=field)
            setattr(idp, field, value)
        elif field == "protocol":
            idp.protocol = _choice(value, IdentityProvider.Protocol, field=field)
        elif field == "discovery_url" or field in ENDPOINT_FIELDS:
            label = ENDPOINT_LABELS[field]
            setattr(idp, field, url_check(value, field=field, label=label, required=False))
        elif field == "client_id":
            idp.client_id = _text(value, field=field, max_length=255)
        elif field == "client_secret":
            if value not in (None, ""):  # blank keeps the stored secret
                secret = _text(value, field=field, max_length=1024)
                idp.client_secret_sealed = client_secret_seal(secret, idp_id=idp.pk)
        elif field == "token_endpoint_auth_method":
            idp.token_endpoint_auth_method = _choice(value, IdentityProvider.TokenAuth, field=field)
        elif field == "scopes":
            idp.scopes = value  # cleaned in _validate (depends on the protocol)
        elif field == "subject_claim":
            idp.subject_claim = _federated_name(value or "sub", field=field)
        elif field == "claim_mappings":
            idp.claim_mappings = _clean_claim_mappings(organization, value)
        elif field == "lookup_mappings":
            idp.lookup_mappings = _clean_lookup_mappings(organization, value)
        elif field == "jit_scheme":
            idp.jit_scheme = _choice(value, IdentityProvider.JitScheme, field=field)
        elif field == "attribute_sync":
            idp.attribute_sync = _choice(value, IdentityProvider.SyncMethod, field=field)


def _validate(idp: IdentityProvider) -> None:
    """What a usable IdP needs, whatever the fields came from."""
    idp.scopes = _clean_scopes(idp.scopes, idp.protocol)
    if not idp.client_id:
        raise InvalidInput("IDP-60002", _("The client ID is required."), field="client_id")
    required = ["authorization_endpoint", "token_endpoint"]
    if idp.protocol == IdentityProvider.Protocol.OIDC:
        required += ["issuer", "jwks_uri"]
    else:
        required += ["userinfo_endpoint"]
    for field in required:
        if not getattr(idp, field):
            hint = _(" Give the discovery URL, or the endpoints.") if idp.protocol == "oidc" else ""
            raise InvalidInput(
                "IDP-60002", _("%(label)s is required.") % {"label": ENDPOINT_LABELS[field]} + hint, field=field
            )
    if idp.associate_local_user and not idp.lookup_mappings:
        raise InvalidInput(
            "IDP-60006",
            _("Linking to existing accounts needs at least one account lookup attribute mapping."),
            field="lookup_mappings",
        )


def _fill_from_discovery(idp: IdentityProvider) -> None:
    metadata = metadata_fetch(idp.discovery_url)
    for key, value in metadata.items():
        setattr(idp, key, value)
    idp.metadata_fetched_at = timezone.now()


def _record(actor: Any, idp: IdentityProvider, action: str, **data: Any) -> None:
    audit_record(
        actor=actor,
        action=f"identity_provider.{action}",
        target_type="identity_provider",
        target_id=idp.pk,
        organization=idp.organization,
        data=data or None,
    )
    emit(
        f"identity_provider.{action}",
        organization=idp.organization,
        payload={"id": str(idp.pk), "name": idp.name, **data},
    )


def _save(idp: IdentityProvider, *, force_insert: bool = False) -> None:
    try:
        with transaction.atomic():
            idp.save(force_insert=force_insert)
    except IntegrityError as exc:
        raise Conflict(
            "IDP-60009",
            _("An identity provider named “%(name)s” already exists.") % {"name": idp.name},
            field="name",
        ) from exc


def idp_create(*, actor: Any, organization: Any, template_id: str = "oidc", **fields: Any) -> IdentityProvider:
    """Create an IdP from a template (``oidc``, ``google``, ``github``) and the given fields.

    With a discovery URL and no endpoints given, the endpoints are fetched from it (before the
    transaction: no database transaction stays open during an upstream call)."""
    if template_id not in TEMPLATES:
        raise _bad(
            _("Unknown template %(t)s; use one of %(all)s.")
            % {"t": str(template_id)[:40], "all": ", ".join(TEMPLATES)},
            field="templateId",
        )
    idp = IdentityProvider(organization=organization, template_id=template_id)
    defaults = template_defaults(template_id)
    for key, value in defaults.items():
        setattr(idp, key, value)
    _apply(idp, fields)
    if idp.discovery_url and not any(fields.get(name) for name in ENDPOINT_FIELDS) and "discovery_url" in fields:
        _fill_from_discovery(idp)
    _validate(idp)
    with transaction.atomic():
        if IdentityProvider.objects.for_org(organization).filter(name=idp.name).exists():
            raise Conflict(
                "IDP-60009",
                _("An identity provider named “%(name)s” already exists.") % {"name": idp.name},
                field="name",
            )
        _save(idp, force_insert=True)
        _record(actor, idp, "created", template=template_id)
    return idp


def idp_update(
    *, actor: Any, idp: IdentityProvider, refresh_metadata: bool = False, **changes: Any
) -> IdentityProvider:
    """Change some fields of an IdP; a renamed IdP keeps its place in sign-in sequences.

    ``refresh_metadata`` (or a new discovery URL without endpoints) reads the discovery document
    again, before the transaction."""
    draft = IdentityProvider.objects.select_related("organization").get(pk=idp.pk)
    _apply(draft, changes)
    discovery_changed = "discovery_url" in changes and not any(changes.get(name) for name in ENDPOINT_FIELDS)
    metadata = (
        metadata_fetch(draft.discovery_url) if draft.discovery_url and (refresh_metadata or discovery_changed) else None
    )
    with transaction.atomic():
        idp = IdentityProvider.objects.select_for_update().select_related("organization").get(pk=idp.pk)
        old_name = idp.name
        _apply(idp, changes)
        if metadata is not None:
            for key, value in metadata.items():
                setattr(idp, key, value)
            idp.metadata_fetched_at = timezone.now()
        _validate(idp)
        _save(idp)
        if idp.name != old_name:
            _sequences_rename(actor, idp, old_name)
        _record(actor, idp, "updated", fields=sorted(changes))
    return idp


def _sequences_using(organization: Any, name: str) -> list[Any]:
    from apps.authn.models import AuthSequence

    target = f"federated:{name}"
    rows = AuthSequence.objects.filter(application__organization_id=organization.pk).select_related("application")
    return [row for row in rows if any(target in step for step in row.steps or [])]


def _sequences_rename(actor: Any, idp: IdentityProvider, old_name: str) -> None:
    from apps.authn.services.sequences import sequence_set

    old, new = f"federated:{old_name}", f"federated:{idp.name}"
    for row in _sequences_using(idp.organization, old_name):
        steps = [[new if item == old else item for item in step] for step in row.steps]
        sequence_set(actor=actor, application=row.application, steps=steps)


@transaction.atomic
def idp_delete(*, actor: Any, idp: IdentityProvider, force: bool = False) -> None:
    """Delete an IdP and its associations; refused while an application's sign-in uses it (unless ``force``)."""
    users = _sequences_using(idp.organization, idp.name)
    if users and not force:
        names = ", ".join(sorted(row.application.name for row in users)[:5])
        raise Conflict(
            "IDP-60008",
            _("The identity provider is used in the sign-in sequence of: %(apps)s.") % {"apps": names},
            _("Remove it from those applications first, or delete with force=true."),
        )
    _record(actor, idp, "deleted")
    idp.delete()
