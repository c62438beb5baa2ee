"""The OpenID Connect / OAuth 2.0 client side: discovery, the authorization URL, the code
exchange, ID token verification (jwcrypto, against the upstream JWKS) and userinfo.

Every upstream call has a timeout, follows no redirect and reads at most ``MAX_BODY`` bytes.
Upstream URLs must be https, or http on a loopback host (a local test IdP). Failures raise
``UpstreamError`` with a short ``reason`` for the audit log; what the user sees never
includes upstream error text."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from jwcrypto import jwk, jwt

from apps.core.errors import InvalidInput

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
LEEWAY_SECONDS = 60
JWKS_CACHE_SECONDS = 300
ID_TOKEN_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class UpstreamError(Exception):
    """The upstream IdP's answer cannot be used; ``reason`` is for the audit log."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def _timeout() -> float:
    return float(getattr(settings, "IAM_IDP_HTTP_TIMEOUT_SECONDS", 10))


def url_check(value: Any, *, field: str, label: str, required: bool = True) -> str:
    """An https URL (http only on a loopback host), without user info or fragment."""
    if value in (None, ""):
        if required:
            raise InvalidInput("IDP-60002", _("%(label)s is required.") % {"label": label}, field=field)
        return ""
    if not isinstance(value, str) or len(value) > 2048:
        raise InvalidInput("IDP-60001", _("%(label)s must be a URL.") % {"label": label}, field=field)
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
        parts = None
    if parts is None or not port_ok or parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput("IDP-60001", _("%(label)s must be an https URL.") % {"label": label}, field=field)
    if parts.username or parts.password or parts.fragment:
        raise InvalidInput(
            "IDP-60001", _("%(label)s must not contain credentials or a fragment.") % {"label": label}, field=field
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise InvalidInput(
            "IDP-60001",
            _("%(label)s must use https (http is allowed for localhost only).") % {"label": label},
            field=field,
        )
    return value


def _read_json(response: requests.Response, what: str) -> dict[str, Any]:
    body = b""
    for chunk in response.iter_content(65536):
        body += chunk
        if len(body) > MAX_BODY:
            raise UpstreamError(f"{what}_too_large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UpstreamError(f"{what}_not_json", f"HTTP {response.status_code}") from exc
    if not isinstance(data, dict):
        raise UpstreamError(f"{what}_not_json", "not an object")
    return data


def _get(url: str, *, what: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    try:
        response = requests.get(
            url,
            headers={"Accept": "application/json", **(headers or {})},
            timeout=_timeout(),
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as exc:
        raise UpstreamError(f"{what}_unreachable", type(exc).__name__) from exc
    with response:
        if response.status_code != 200:
            raise UpstreamError(f"{what}_http_{response.status_code}")
        return _read_json(response, what)


# --- discovery -------------------------------------------------------------------------------------


def metadata_fetch(discovery_url: str) -> dict[str, str]:
    """The endpoints of an OpenID Provider from its discovery document (OIDC Discovery §4).

    Raises InvalidInput (for the admin who configures the IdP) when the document is unusable."""
    url_check(discovery_url, field="discovery_url", label=_("Discovery URL"))
    try:
        document = _get(discovery_url, what="discovery")
    except UpstreamError as exc:
        raise InvalidInput(
            "IDP-60010",
            _("The discovery document could not be read (%(reason)s).") % {"reason": exc.reason},
            field="discovery_url",
        ) from exc
    out: dict[str, str] = {}
    labels = {
        "issuer": _("Issuer"),
        "authorization_endpoint": _("Authorization endpoint"),
        "token_endpoint": _("Token endpoint"),
        "jwks_uri": _("JWKS URI"),
        "userinfo_endpoint": _("Userinfo endpoint"),
    }
    for key, label in labels.items():
        value = document.get(key, "")
        try:
            out[key] = url_check(value, field="discovery_url", label=label, required=key != "userinfo_endpoint")
        except InvalidInput as exc:
            raise InvalidInput(
                "IDP-60010",
                _("The discovery document is not usable: %(problem)s") % {"problem": exc.message},
                field="discovery_url",
            ) from exc
    issuer = urlsplit(out["issuer"])
    source = urlsplit(discovery_url)
    if (issuer.scheme, issuer.netloc) != (source.scheme, source.netloc):
        raise InvalidInput(
            "IDP-60010",
            _("The discovery document names an issuer on another host (%(issuer)s).") % {"issuer": out["issuer"]},
            field="discovery_url",
        )
    return out


# --- authorization request ------------------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    idp: Any, *, redirect_uri: str, state: str, nonce: str, code_verifier: str, extra: dict[str, str] | None = None
) -> str:
    params: dict[str, str] = {
        "response_type": "code",
        "client_id": idp.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(idp.scopes),
        "state": state,
    }
    if idp.protocol == "oidc":
        params["nonce"] = nonce
    if code_verifier:
        params["code_challenge"] = pkce_challenge(code_verifier)
        params["code_challenge_method"] = "S256"
    params.update(extra or {})
    separator = "&" if "?" in idp.authorization_endpoint else "?"
    return f"{idp.authorization_endpoint}{separator}{urlencode(params)}"


# --- token request --------------------------------------------------------------------------------------


def token_request(idp: Any, *, client_secret: str, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
    """Exchange the authorization code at the upstream token endpoint (RFC 6749 §4.1.3)."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if code_verifier:
        form["code_verifier"] = code_verifier
    auth = None
    if idp.token_endpoint_auth_method == "client_secret_post":
        form.update({"client_id": idp.client_id, "client_secret": client_secret})
    else:
        # RFC 6749 §2.3.1: form-encode the id and secret before Basic
        from urllib.parse import quote

        auth = (quote(idp.client_id, safe=""), quote(client_secret, safe=""))
    try:
        response = requests.post(
            idp.token_endpoint,
            data=form,
            auth=auth,
            headers={"Accept": "application/json"},
            timeout=_timeout(),
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as exc:
        raise UpstreamError("token_endpoint_unreachable", type(exc).__name__) from exc
    with response:
        data = _read_json(response, "token_response")
    if response.status_code != 200 or "error" in data:
        raise UpstreamError("token_request_rejected", str(data.get("error", response.status_code))[:64])
    if not isinstance(data.get("access_token"), str) or not data["access_token"]:
        raise UpstreamError("token_response_invalid", "no access_token")
    return data


# --- ID token -------------------------------------------------------------------------------------------


def _b64json(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise UpstreamError("id_token_malformed") from exc
    if not isinstance(value, dict):
        raise UpstreamError("id_token_malformed")
    return value


def _jwks(idp: Any, *, refresh: bool = False) -> jwk.JWKSet:
    key = "idp:jwks:" + hashlib.sha256(idp.jwks_uri.encode()).hexdigest()
    document = None if refresh else cache.get(key)
    if document is None:
        document = _get(idp.jwks_uri, what="jwks")
        cache.set(key, document, JWKS_CACHE_SECONDS)
    try:
        return jwk.JWKSet.from_json(json.dumps(document))
    except Exception as exc:  # jwcrypto raises several types for a bad key set
        raise UpstreamError("jwks_invalid", type(exc).__name__) from exc


def _has_kid(keyset: jwk.JWKSet, kid: str | None) -> bool:
    return kid is None or keyset.get_key(kid) is not None


def id_token_verify(idp: Any, id_token: Any, *, nonce: str, now: float | None = None) -> dict[str, Any]:
    """The claims of an ID token whose signature (upstream JWKS), ``iss``, ``aud``/``azp``,
    ``exp``/``iat`` and ``nonce`` are all right (OIDC Core §3.1.3.7)."""
    if not isinstance(id_token, str) or id_token.count(".") != 2 or len(id_token) > 16384:
        raise UpstreamError("id_token_malformed")
    header = _b64json(id_token.split(".", 1)[0])
    alg = header.get("alg")
    if alg not in ID_TOKEN_ALGS:
        raise UpstreamError("id_token_alg_refused", str(alg)[:16])
    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    keyset = _jwks(idp)
    if not _has_kid(keyset, kid):  # the IdP rotated its keys: fetch once more
        keyset = _jwks(idp, refresh=True)
        if not _has_kid(keyset, kid):
            raise UpstreamError("id_token_unknown_key")
    try:
        token = jwt.JWT(jwt=id_token, key=keyset, algs=[alg], check_claims=False, expected_type="JWS")
        claims = json.loads(token.claims)
    except Exception as exc:  # signature or structure: jwcrypto raises several types
        raise UpstreamError("id_token_signature_invalid", type(exc).__name__) from exc
    if not isinstance(claims, dict):
        raise UpstreamError("id_token_malformed")
    now = time.time() if now is None else now
    if claims.get("iss") != idp.issuer:
        raise UpstreamError("id_token_issuer_mismatch")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if idp.client_id not in audiences:
        raise UpstreamError("id_token_audience_mismatch")
    if len(audiences) > 1 and claims.get("azp") != idp.client_id:
        raise UpstreamError("id_token_azp_mismatch")
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or exp + LEEWAY_SECONDS < now:
        raise UpstreamError("id_token_expired")
    if not isinstance(iat, (int, float)) or iat - LEEWAY_SECONDS > now:
        raise UpstreamError("id_token_issued_in_future")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise UpstreamError("id_token_nonce_mismatch")
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise UpstreamError("id_token_no_subject")
    return claims


# --- userinfo -------------------------------------------------------------------------------------------


def userinfo_get(idp: Any, access_token: str) -> dict[str, Any]:
    return _get(idp.userinfo_endpoint, what="userinfo", headers={"Authorization": f"Bearer {access_token}"})
