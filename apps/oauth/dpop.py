"""DPoP (RFC 9449): proof validation, server nonces, and the proof replay cache
that also carries token bindings.

A proof is checked in the order of RFC 9449 §4.3: one ``DPoP`` header, a
well-formed JWS, ``typ: dpop+jwt``, an allowed asymmetric ``alg``, a public
``jwk`` that fits the ``alg``, the required claims, the signature, ``htm``,
``htu``, ``iat`` within ``IAM_DPOP_PROOF_WINDOW_SECONDS`` either way, the
server nonce when ``IAM_DPOP_NONCE_REQUIRED`` (token endpoint only), and
``ath`` when an access token comes with the proof. Signatures are checked with
``cryptography`` directly: this runs on the token hot path.

``htu`` is compared with ``IAM_BASE_URL`` + the request path, not with the Host
header the request arrived with: behind a TLS-terminating proxy the server sees
``http://10.0.0.5:8000`` while the client signed ``https://id.example.com``.
Both sides are normalised first (RFC 3986 §6.2.2 and §6.2.3).

Replay cache (``DPoPProof`` rows, shared by every process through the
database): each accepted proof costs one INSERT of a hash of its key thumbprint
and ``jti``; a conflict means the proof was seen before. When the proof mints
an access token, the same row records the binding (the token's checksum and
the key thumbprint) and lives as long as the token and any refresh token issued
with it, so binding a token costs no extra statement."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import math
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from apps.oauth.cache import TTLCache
from apps.oauth.errors import OAuthError
from apps.oauth.models import DPoPProof

ALGORITHMS = ("ES256", "RS256", "PS256", "EdDSA")
PROOF_TYPE = "dpop+jwt"
INVALID_PROOF = "invalid_dpop_proof"
USE_NONCE = "use_dpop_nonce"

MAX_PROOF_LENGTH = 8192
MAX_JTI_LENGTH = 256
MIN_RSA_BITS, MAX_RSA_BITS = 2048, 8192
# Header members naming a key other than ``jwk`` (or asking for extensions we do not implement):
# a proof is signed by the key it carries and nothing else.
FORBIDDEN_HEADER_MEMBERS = frozenset({"crit", "jku", "x5u", "x5c", "x5t", "x5t#S256", "b64", "zip", "enc"})
PRIVATE_KEY_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_CURVES = {"ES256": ("EC", "P-256"), "EdDSA": ("OKP", None)}
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
_DEFAULT_PORTS = {"http": 80, "https": 443}

_keys = TTLCache(max_entries=10_000, ttl_seconds=3600.0)  # RFC 7638 input -> public key object


class DPoPError(OAuthError):
    """A DPoP failure. At the token endpoint it is a 400 OAuth error (RFC 9449 §5); protected
    resources answer 401 with ``dpop_challenge`` instead (§7.1). ``nonce`` goes out as ``DPoP-Nonce``."""

    def __init__(self, description: str, *, error: str = INVALID_PROOF, nonce: str = "") -> None:
        super().__init__(error, description, headers={"DPoP-Nonce": nonce} if nonce else None)
        self.nonce = nonce


@dataclass(eq=False)
class VerifiedProof:
    """A proof that passed every check. ``recorded_checksum`` is set once the proof is consumed
    (see ``dpop_proof_record``), so a retry of the same request moves its binding instead."""

    jkt: str
    replay_key: str
    expires: datetime.datetime  # until then the proof would be accepted: its row must outlive that
    recorded: bool = False
    recorded_checksum: str = ""


def _settings_window() -> int:
    return int(getattr(settings, "IAM_DPOP_PROOF_WINDOW_SECONDS", 60))


def nonce_required() -> bool:
    return bool(getattr(settings, "IAM_DPOP_NONCE_REQUIRED", False))


# --- encoding helpers ------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(value: Any) -> bytes:
    if not isinstance(value, str) or not _B64URL.match(value) or len(value) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


def _json_object(segment: str) -> dict[str, Any]:
    value = json.loads(_b64decode(segment), object_pairs_hook=_no_duplicates)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def access_token_hash(access_token: str) -> str:
    """``ath``: base64url of the SHA-256 of the ASCII access token."""
    return b64url(hashlib.sha256(access_token.encode("utf-8")).digest())  # tokens are ASCII: the same bytes


# --- keys ------------------------------------------------------------------------------


def _thumbprint_input(key: dict[str, Any]) -> str:
    """RFC 7638 §3: the required members only, sorted, no whitespace."""
    kty = key.get("kty")
    names = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}.get(kty)
    if names is None:
        raise DPoPError("The jwk key type is not supported.")
    members = {name: key.get(name) for name in names}
    if not all(isinstance(value, str) and value for value in members.values()):
        raise DPoPError("The jwk is incomplete.")
    return json.dumps(members, separators=(",", ":"), sort_keys=True)


def _thumbprint(canonical: str) -> str:
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def jwk_thumbprint(key: dict[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url (the ``jkt`` of RFC 9449 §6)."""
    return _thumbprint(_thumbprint_input(key))


def _public_key(alg: str, key: dict[str, Any], canonical: str) -> Any:
    cached = _keys.get(canonical)
    if cached is not None:
        return cached
    try:
        if alg == "ES256":
            x, y = _b64decode(key["x"]), _b64decode(key["y"])
            if len(x) != 32 or len(y) != 32:
                raise ValueError("P-256 coordinates are 32 bytes")
            numbers = ec.EllipticCurvePublicNumbers(int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1())
            public: Any = numbers.public_key()  # refuses points off the curve
        elif alg in ("RS256", "PS256"):
            n = int.from_bytes(_b64decode(key["n"]), "big")
            e = int.from_bytes(_b64decode(key["e"]), "big")
            # Local policy (§4.3): 2048-8192-bit moduli, and no huge exponents that make verifying slow.
            if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS or e.bit_length() > 32:
                raise ValueError("RSA key size")
            public = rsa.RSAPublicNumbers(e, n).public_key()
        elif key.get("crv") == "Ed25519":
            public = ed25519.Ed25519PublicKey.from_public_bytes(_b64decode(key["x"]))
        elif key.get("crv") == "Ed448":
            public = ed448.Ed448PublicKey.from_public_bytes(_b64decode(key["x"]))
        else:
            raise ValueError("unsupported curve")
    except (ValueError, TypeError, KeyError) as exc:
        raise DPoPError("The jwk is not a valid public key for the alg.") from exc
    _keys.put(canonical, public)
    return public


def _check_key_fits(alg: str, key: dict[str, Any]) -> None:
    kty = key.get("kty")
    if alg in ("RS256", "PS256"):
        if kty != "RSA":
            raise DPoPError(f"{alg} needs an RSA jwk.")
        return
    wanted_kty, wanted_crv = _CURVES[alg]
    if kty != wanted_kty or (wanted_crv is not None and key.get("crv") != wanted_crv):
        raise DPoPError(f"The jwk does not fit {alg}.")


def _signature_valid(alg: str, public: Any, signing_input: bytes, signature: bytes) -> bool:
    try:
        if alg == "ES256":
            if len(signature) != 64:  # JWS ECDSA signatures are r || s (RFC 7518 §3.4)
                return False
            der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
            public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        elif alg == "RS256":
            public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg == "PS256":  # RFC 7518 §3.5: MGF1 with SHA-256, salt as long as the hash
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            public.verify(signature, signing_input, pss, hashes.SHA256())
        else:
            public.verify(signature, signing_input)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- htu -------------------------------------------------------------------------------


def _percent_normalised(path: str) -> str:
    def one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    return _PERCENT.sub(one, path)


def _without_dot_segments(path: str) -> str:
    segments = path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == ".":
            continue
        if segment == "..":
            if len(kept) > 1:
                kept.pop()
            continue
        kept.append(segment)
    if segments[-1] in (".", ".."):
        kept.append("")
    return "/".join(kept)


def uri_normalised(uri: str) -> str | None:
    """An http(s) URI without query and fragment, normalised per RFC 3986 §6.2.2-6.2.3; None if unusable."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None or parts.password is not None:
        return None
    if ":" in host:
        host = f"[{host}]"
    authority = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _without_dot_segments(_percent_normalised(parts.path)) or "/"
    return f"{scheme}://{authority}{path}"


def request_uri(request: HttpRequest) -> str:
    """The URI the client addressed: the configured public base URL, the tenant prefix and the path."""
    path = f"{getattr(request, 'tenant_prefix', '')}{request.path_info}"
    return f"{settings.IAM_BASE_URL}{quote(path, safe=_PATH_SAFE)}"


# --- nonces ----------------------------------------------------------------------------


def _nonce_period() -> int:
    return max(int(getattr(settings, "IAM_DPOP_NONCE_LIFETIME_SECONDS", 300)), 10)


def _nonce_mac(window: int) -> str:
    return b64url(salted_hmac("apps.oauth.dpop.nonce", str(window)).digest()[:18])


def nonce_issue(*, now: float | None = None) -> str:
    """A stateless server nonce: the current time window and an HMAC of it (no storage, any process)."""
    window = int((time.time() if now is None else now) // _nonce_period())
    return f"{window:x}.{_nonce_mac(window)}"


def nonce_valid(nonce: Any, *, now: float | None = None) -> bool:
    """Issued in this window or the previous one, so a nonce lives between one and two periods."""
    if not isinstance(nonce, str) or len(nonce) > 64:
        return False
    window_hex, _, mac = nonce.partition(".")
    try:
        window = int(window_hex, 16)
    except ValueError:
        return False
    current = int((time.time() if now is None else now) // _nonce_period())
    return window in (current, current - 1) and hmac.compare_digest(mac, _nonce_mac(window))


# --- the proof -------------------------------------------------------------------------


def proof_header(request: HttpRequest) -> str | None:
    """The single ``DPoP`` header, or None. Repeated headers reach Django joined by commas,
    which a compact JWS never contains."""
    value = request.META.get("HTTP_DPOP")
    if value is None:
        return None
    value = value.strip()
    if "," in value:
        raise DPoPError("Send exactly one DPoP header.")
    if not value:
        raise DPoPError("The DPoP header is empty.")
    return value


def _parse(proof: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    if len(proof) > MAX_PROOF_LENGTH or proof.count(".") != 2:
        raise DPoPError("The DPoP proof is not a compact JWS.")
    header_segment, payload_segment, signature_segment = proof.split(".")
    try:
        header = _json_object(header_segment)
        claims = _json_object(payload_segment)
        signature = _b64decode(signature_segment)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise DPoPError("The DPoP proof is not a well-formed JWT.") from exc
    return header, claims, f"{header_segment}.{payload_segment}".encode("ascii"), signature


def _check_header(header: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    typ = header.get("typ")
    if not isinstance(typ, str) or typ.lower() != PROOF_TYPE:  # media types compare case-insensitively
        raise DPoPError("The DPoP proof typ must be dpop+jwt.")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise DPoPError(f"The DPoP proof alg must be one of {', '.join(ALGORITHMS)}.")
    forbidden = FORBIDDEN_HEADER_MEMBERS & header.keys()
    if forbidden:
        raise DPoPError(f"The DPoP proof header must not contain {sorted(forbidden)[0]}.")
    key = header.get("jwk")
    if not isinstance(key, dict):
        raise DPoPError("The DPoP proof header must carry the public key as jwk.")
    if PRIVATE_KEY_MEMBERS & key.keys():
        raise DPoPError("The jwk must not contain a private key.")
    _check_key_fits(alg, key)
    return alg, key


def _check_claims(claims: dict[str, Any]) -> tuple[str, float]:
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not jti or len(jti) > MAX_JTI_LENGTH:
        raise DPoPError("The DPoP proof needs a jti (at most 256 characters).")
    if not isinstance(claims.get("htm"), str) or not isinstance(claims.get("htu"), str):
        raise DPoPError("The DPoP proof needs htm and htu.")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not math.isfinite(iat):
        raise DPoPError("The DPoP proof needs a numeric iat.")
    return jti, float(iat)


def dpop_proof_verify(
    request: HttpRequest, *, access_token: str = "", require_nonce: bool = False, now: float | None = None
) -> VerifiedProof | None:
    """Check the request's DPoP proof (RFC 9449 §4.3); None when there is no ``DPoP`` header.

    ``access_token``: the token presented with the proof, whose hash ``ath`` must carry.
    ``require_nonce``: the server nonce policy (the token endpoint's ``IAM_DPOP_NONCE_REQUIRED``).
    Nothing is stored here: ``dpop_proof_record`` consumes the proof."""
    raw = proof_header(request)
    if raw is None:
        return None
    header, claims, signing_input, signature = _parse(raw)
    alg, key = _check_header(header)
    jti, iat = _check_claims(claims)
    canonical = _thumbprint_input(key)
    if not _signature_valid(alg, _public_key(alg, key, canonical), signing_input, signature):
        raise DPoPError("The DPoP proof signature does not verify with its jwk.")
    if claims["htm"] != request.method:
        raise DPoPError("The DPoP proof htm does not match the request method.")
    if uri_normalised(claims["htu"]) != uri_normalised(request_uri(request)):
        raise DPoPError("The DPoP proof htu does not match the request URI.")
    now = time.time() if now is None else now
    window = _settings_window()
    if iat < now - window:
        raise DPoPError("The DPoP proof is expired (iat is too old).")
    if iat > now + window:
        raise DPoPError("The DPoP proof iat is in the future.")
    if require_nonce and not nonce_valid(claims.get("nonce"), now=now):
        # RFC 9449 §8: a missing or stale nonce is answered with a fresh one to retry with.
        description = "A fresh server nonce is required in the DPoP proof."
        raise DPoPError(description, error=USE_NONCE, nonce=nonce_issue(now=now))
    if access_token:
        ath = claims.get("ath")
        if not isinstance(ath, str) or not hmac.compare_digest(ath, access_token_hash(access_token)):
            raise DPoPError("The DPoP proof ath does not match the access token.")
    jkt = _thumbprint(canonical)
    return VerifiedProof(
        jkt=jkt,
        replay_key=hashlib.sha256(f"{jkt}.{jti}".encode()).hexdigest(),
        expires=datetime.datetime.fromtimestamp(int(iat) + window + 1, tz=datetime.UTC),
    )


# --- the replay cache and token bindings -------------------------------------------------

_sql: dict[str, str] = {}


def _statements() -> dict[str, str]:
    if not _sql:
        meta = DPoPProof._meta
        quote_name = connection.ops.quote_name
        table = quote_name(meta.db_table)
        names = ("replay_key", "jkt", "access_token_checksum", "expires")
        col = {name: quote_name(meta.get_field(name).column) for name in names}
        # Names come from model metadata, values are bound parameters. ``ON CONFLICT DO NOTHING``
        # (PostgreSQL, SQLite 3.24+): a replay inserts no row, and no error breaks a transaction.
        columns = ", ".join(col[name] for name in names)
        _sql["insert"] = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"  # noqa: S608
        _sql["move"] = (
            f"UPDATE {table} SET {col['access_token_checksum']} = %s, {col['expires']} = %s "  # noqa: S608
            f"WHERE {col['replay_key']} = %s AND {col['access_token_checksum']} = %s"
        )
    return _sql


def dpop_proof_record(
    proof: VerifiedProof, *, token_checksum: str | None = None, keep_until: datetime.datetime | None = None
) -> None:
    """Consume ``proof`` (one INSERT), binding the access token ``token_checksum`` to its key.

    A proof is consumed once: a second use raises ``invalid_dpop_proof``. The same request may
    come back with a new token after its client snapshot turned out stale (``StaleClient``): then
    the binding moves to the new token, or, when the first attempt's transaction rolled back, the
    proof is inserted again."""
    expires = max(proof.expires, keep_until) if keep_until is not None else proof.expires
    prep = DPoPProof._meta.get_field("expires").get_db_prep_save
    statements = _statements()
    with connection.cursor() as cursor:
        if proof.recorded and token_checksum and proof.recorded_checksum:
            cursor.execute(
                statements["move"],
                [token_checksum, prep(expires, connection), proof.replay_key, proof.recorded_checksum],
            )
            if cursor.rowcount:
                proof.recorded_checksum = token_checksum
                return
        cursor.execute(statements["insert"], [proof.replay_key, proof.jkt, token_checksum, prep(expires, connection)])
        if cursor.rowcount != 1:
            raise DPoPError("The DPoP proof was already used.")
    proof.recorded, proof.recorded_checksum = True, token_checksum or ""


def dpop_proofs_clear(*, now: datetime.datetime) -> int:
    """Sweep rows no proof or token needs any more (the oauth beat task)."""
    return DPoPProof.objects.filter(expires__lt=now).delete()[0]


# --- protected resources ----------------------------------------------------------------


def dpop_challenge(error: str = "", description: str = "", *, realm: str = "") -> str:
    """A ``WWW-Authenticate`` DPoP challenge (RFC 9449 §7.1) listing the accepted algorithms."""
    parts = [f'realm="{realm}"'] if realm else []
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{description}"')
    parts.append(f'algs="{" ".join(ALGORITHMS)}"')
    return "DPoP " + ", ".join(parts)


def dpop_presentation_check(request: HttpRequest, *, scheme: str, access_token: str, bound_jkt: str | None) -> None:
    """RFC 9449 §7: a protected resource's rules for a presented access token.

    ``scheme`` is the lower-cased Authorization scheme (``bearer`` also for a form-body token).
    A DPoP-bound token needs the DPoP scheme and a proof with ``ath`` from the bound key (§7.2:
    a bound token sent as a bearer token is refused); a bearer token is not sent with the DPoP
    scheme. Costs one INSERT (the replay cache) for DPoP requests, nothing for bearer ones."""
    if scheme != "dpop":
        if bound_jkt:
            raise DPoPError("The access token is DPoP-bound: send it with the DPoP scheme.", error="invalid_token")
        return
    if not bound_jkt:
        raise DPoPError("The access token is not DPoP-bound: send it with the Bearer scheme.", error="invalid_token")
    proof = dpop_proof_verify(request, access_token=access_token)
    if proof is None:
        raise DPoPError("A DPoP proof is required with the DPoP scheme.")
    if not hmac.compare_digest(proof.jkt, bound_jkt):
        raise DPoPError("The DPoP proof is not signed by the key the access token is bound to.")
    dpop_proof_record(proof)
