"""The rules for application settings: each value on its own, then the whole set.

Redirect URIs (RFC 9700 §2.1, RFC 8252 §7): absolute, no fragment, no user
info, matched exactly later; ``https``, or ``http`` on a loopback host only,
or a private-use scheme for native apps whose template allows it. Grant types
must be known and consistent with the client type.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _
from jwcrypto import jwk

from apps.applications.app_settings import (
    CHOICES,
    CLIENT_PUBLIC,
    GRANT_AUTHORIZATION_CODE,
    GRANT_CLIENT_CREDENTIALS,
    GRANT_REFRESH_TOKEN,
    GRANT_TYPES,
    LIFETIME_BOUNDS,
    SETTING_KINDS,
    USER_GRANTS,
)
from apps.core.errors import InvalidInput
from apps.core.text import contains_unstorable_text

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# Never acceptable as a redirect target, whatever the template allows.
FORBIDDEN_SCHEMES = frozenset(
    {
        "javascript",
        "data",
        "vbscript",
        "file",
        "about",
        "blob",
        "filesystem",
        "view-source",
        "ws",
        "wss",
        "ftp",
        "mailto",
        "tel",
        "sms",
    }
)
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")
MAX_URIS = 50
MAX_URI_LENGTH = 1024
MAX_JWKS_KEYS = 10
MAX_JWKS_JSON = 16_384
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

LABELS = {
    "redirect_uris": _("Redirect URL"),
    "post_logout_redirect_uris": _("Post-logout redirect URL"),
    "allowed_origins": _("Allowed origin"),
    "logo_url": _("Logo URL"),
    "access_url": _("Access URL"),
}


def _invalid(code: str, message: str, field: str) -> InvalidInput:
    return InvalidInput(code, message, field=field)


def clean_name(value: Any, *, code_prefix: str = "APP") -> str:
    if not isinstance(value, str):
        raise _invalid(f"{code_prefix}-60002", _("A name is required."), "name")
    value = clean_text(value, field="name", max_length=255, code=f"{code_prefix}-60001")
    if not value:
        raise _invalid(f"{code_prefix}-60002", _("A name is required."), "name")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise _invalid(f"{code_prefix}-60001", _("The name must not contain control characters."), "name")
    return value


def clean_text(value: Any, *, field: str, max_length: int, code: str = "APP-60001") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(code, _("%(field)s must be text.") % {"field": field}, field)
    if contains_unstorable_text(value):
        raise _invalid(code, _("%(field)s must not contain NUL or surrogate characters.") % {"field": field}, field)
    value = unicodedata.normalize("NFC", value.strip())
    if len(value) > max_length:
        raise _invalid(
            code, _("%(field)s must be at most %(n)d characters.") % {"field": field, "n": max_length}, field
        )
    return value


def _uri_basics(uri: Any, field: str) -> str:
    label = LABELS.get(field, field)
    if not isinstance(uri, str) or not uri:
        raise _invalid("APP-60004", _("%(label)s must be a non-empty string.") % {"label": label}, field)
    if len(uri) > MAX_URI_LENGTH:
        raise _invalid(
            "APP-60004", _("%(label)s must be at most %(n)d characters.") % {"label": label, "n": MAX_URI_LENGTH}, field
        )
    if not uri.isascii() or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in uri):
        raise _invalid(
            "APP-60004",
            _("%(label)s “%(uri)s” must be ASCII without spaces or control characters (percent-encode the rest).")
            % {"label": label, "uri": uri[:200]},
            field,
        )
    if "#" in uri:
        raise _invalid(
            "APP-60004", _("%(label)s “%(uri)s” must not contain a fragment (#).") % {"label": label, "uri": uri}, field
        )
    return uri


def _web_parts(uri: str, field: str) -> Any:
    """``urlsplit`` of an http(s) URL with a host, no user info and a valid port."""
    label = LABELS.get(field, field)
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise _invalid(
            "APP-60004", _("%(label)s “%(uri)s” is malformed.") % {"label": label, "uri": uri}, field
        ) from exc
    if not parts.hostname:
        raise _invalid("APP-60004", _("%(label)s “%(uri)s” needs a host.") % {"label": label, "uri": uri}, field)
    if parts.username is not None or parts.password is not None:
        raise _invalid(
            "APP-60004", _("%(label)s “%(uri)s” must not contain user info.") % {"label": label, "uri": uri}, field
        )
    if parts.scheme.lower() == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise _invalid(
            "APP-60004",
            _("%(label)s “%(uri)s” must use https (http is allowed for localhost, 127.0.0.1 and [::1] only).")
            % {"label": label, "uri": uri},
            field,
        )
    return parts


def clean_redirect_uri(uri: Any, *, field: str = "redirect_uris", custom_schemes: bool = False) -> str:
    uri = _uri_basics(uri, field)
    label = LABELS.get(field, field)
    scheme = urlsplit(uri).scheme.lower() if ":" in uri else ""
    if not scheme or not _SCHEME_RE.match(scheme):
        raise _invalid(
            "APP-60004", _("%(label)s “%(uri)s” must be an absolute URL.") % {"label": label, "uri": uri}, field
        )
    if scheme in ("https", "http"):
        _web_parts(uri, field)
        return uri
    if scheme in FORBIDDEN_SCHEMES or not custom_schemes:
        raise _invalid(
            "APP-60004",
            _("%(label)s “%(uri)s” must use https (or http on localhost).") % {"label": label, "uri": uri},
            field,
        )
    parts = urlsplit(uri)
    if not (parts.netloc or parts.path):
        raise _invalid("APP-60004", _("%(label)s “%(uri)s” is missing its path.") % {"label": label, "uri": uri}, field)
    return uri


def clean_web_url(value: Any, *, field: str) -> str:
    """An optional https (or loopback http) URL: logo and access URLs."""
    if value is None or value == "":
        return ""
    uri = _uri_basics(value, field)
    if urlsplit(uri).scheme.lower() not in ("https", "http"):
        raise _invalid(
            "APP-60004",
            _("%(label)s must be an https URL.") % {"label": LABELS.get(field, field)},
            field,
        )
    _web_parts(uri, field)
    return uri


def clean_origin(value: Any) -> str:
    """``scheme://host[:port]`` only (a trailing slash is dropped)."""
    field = "allowed_origins"
    uri = _uri_basics(value, field)
    if urlsplit(uri).scheme.lower() not in ("https", "http"):
        raise _invalid("APP-60004", _("Allowed origin “%(uri)s” must be an https origin.") % {"uri": uri}, field)
    parts = _web_parts(uri, field)
    if parts.path not in ("", "/") or parts.query:
        raise _invalid(
            "APP-60004",
            _("Allowed origin “%(uri)s” must be scheme://host[:port] without a path.") % {"uri": uri},
            field,
        )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def origins_of(redirect_uris: list[str]) -> list[str]:
    """The web origins of ``redirect_uris`` (CORS for browser apps), in order, without duplicates."""
    origins: dict[str, None] = {}
    for uri in redirect_uris:
        parts = urlsplit(uri)
        if parts.scheme.lower() in ("https", "http") and parts.netloc:
            origins[f"{parts.scheme.lower()}://{parts.netloc.lower()}"] = None
    return list(origins)


def clean_jwks(value: Any) -> dict[str, Any]:
    """Public keys for private_key_jwt: a JWK Set of RSA / EC / OKP public keys."""
    field = "jwks"
    if value in (None, {}):
        return {}
    if not isinstance(value, dict) or set(value) != {"keys"} or not isinstance(value["keys"], list):
        raise _invalid("APP-60011", _("The JWKS must be an object with a 'keys' list."), field)
    if not value["keys"] or len(value["keys"]) > MAX_JWKS_KEYS:
        raise _invalid("APP-60011", _("The JWKS must hold 1 to %(n)d keys.") % {"n": MAX_JWKS_KEYS}, field)
    if len(json.dumps(value)) > MAX_JWKS_JSON or contains_unstorable_text(value):
        raise _invalid("APP-60011", _("The JWKS is too large."), field)
    for key in value["keys"]:
        if not isinstance(key, dict) or key.get("kty") not in ("RSA", "EC", "OKP"):
            raise _invalid("APP-60011", _("Each key must be an RSA, EC or OKP public key."), field)
        if _PRIVATE_JWK_MEMBERS & set(key):
            raise _invalid("APP-60011", _("The JWKS must contain public keys only."), field)
        try:
            jwk.JWK(**key)
        except Exception as exc:  # jwcrypto raises several types for a malformed key
            raise _invalid("APP-60011", _("The JWKS contains an invalid key."), field) from exc
    return {"keys": [dict(key) for key in value["keys"]]}


def _clean_list(name: str, value: Any, *, custom_schemes: bool) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _invalid("APP-60001", _("%(field)s must be a list.") % {"field": name}, name)
    if len(value) > MAX_URIS:
        raise _invalid("APP-60001", _("%(field)s may hold at most %(n)d items.") % {"field": name, "n": MAX_URIS}, name)
    if name == "grant_types":
        grants = []
        for grant in value:
            if not isinstance(grant, str) or grant not in GRANT_TYPES:
                raise _invalid(
                    "APP-60005", _("Unknown grant type: %(grant)s.") % {"grant": str(grant)[:100]}, "grant_types"
                )
            grants.append(grant)
        return list(dict.fromkeys(grants))
    if name == "allowed_origins":
        return list(dict.fromkeys(clean_origin(item) for item in value))
    return list(dict.fromkeys(clean_redirect_uri(item, field=name, custom_schemes=custom_schemes) for item in value))


def clean_setting(name: str, value: Any, *, custom_schemes: bool = False) -> Any:
    """One setting's value, checked and normalised; ``InvalidInput`` names the setting as the field."""
    kind = SETTING_KINDS.get(name)
    if kind is None:
        raise _invalid("APP-60001", _("Unknown setting: %(name)s.") % {"name": name}, name)
    if kind == "bool":
        if not isinstance(value, bool):
            raise _invalid("APP-60001", _("%(field)s must be true or false.") % {"field": name}, name)
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise _invalid("APP-60010", _("%(field)s must be a whole number of seconds.") % {"field": name}, name)
        low, high = LIFETIME_BOUNDS[name]
        if not low <= value <= high:
            raise _invalid(
                "APP-60010",
                _("%(field)s must be between %(low)d and %(high)d seconds.")
                % {"field": name, "low": low, "high": high},
                name,
            )
        return value
    if kind == "choice":
        if value not in CHOICES[name]:
            raise _invalid(
                "APP-60001",
                _("%(field)s must be one of: %(choices)s.") % {"field": name, "choices": ", ".join(CHOICES[name])},
                name,
            )
        return value
    if kind == "text":
        return clean_text(value, field=name, max_length=1024)
    if kind == "url":
        return clean_web_url(value, field=name)
    if kind == "list":
        return _clean_list(name, value, custom_schemes=custom_schemes)
    return clean_jwks(value)


def check_general_consistency(values: Mapping[str, Any]) -> None:
    """Rules between the general settings."""
    if values["discoverable"] and not values["access_url"]:
        raise _invalid(
            "APP-60001", _("A discoverable application needs an access URL for the end-user portal."), "access_url"
        )


def check_consistency(values: Mapping[str, Any]) -> None:
    """Rules between settings, on the complete set an application would end up with."""
    check_general_consistency(values)
    grants = set(values["grant_types"])
    public = values["client_type"] == CLIENT_PUBLIC
    if not grants:
        raise _invalid("APP-60005", _("Choose at least one grant type."), "grant_types")
    if public and GRANT_CLIENT_CREDENTIALS in grants:
        raise _invalid(
            "APP-60005", _("A public client cannot use the client credentials grant (it has no secret)."), "grant_types"
        )
    if GRANT_REFRESH_TOKEN in grants and not grants & USER_GRANTS:
        raise _invalid(
            "APP-60005",
            _("The refresh token grant needs a grant with a user: authorization code, device code or token exchange."),
            "grant_types",
        )
    if GRANT_AUTHORIZATION_CODE in grants and not values["redirect_uris"]:
        raise _invalid("APP-60004", _("The authorization code grant needs at least one redirect URL."), "redirect_uris")
    method = values["token_endpoint_auth_method"]
    if public and method != "none":
        raise _invalid(
            "APP-60001",
            _("A public client authenticates with “none” at the token endpoint (it has no secret)."),
            "token_endpoint_auth_method",
        )
    if not public and method == "none":
        raise _invalid(
            "APP-60001",
            _("A confidential client must authenticate at the token endpoint."),
            "token_endpoint_auth_method",
        )
    if method == "private_key_jwt" and not values["jwks"]:
        raise _invalid("APP-60011", _("private_key_jwt needs the client's public keys (JWKS)."), "jwks")
    if public and GRANT_AUTHORIZATION_CODE in grants and not values["pkce_mandatory"]:
        raise _invalid("APP-60001", _("A public client must use PKCE."), "pkce_mandatory")


def same_value(a: Any, b: Any) -> bool:
    """Equal settings; lists compare as sets (order of grants or URIs carries no meaning)."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) == sorted(map(str, b))
    return a == b
