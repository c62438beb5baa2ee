"""The framework-less ceiling: a raw WSGI client_credentials token endpoint.

What every token endpoint has to do at least, with nothing else: parse the
form, authenticate the client with HTTP Basic against a keyed hash of its
secret (HMAC-SHA256, constant-time compare), sign an RFC 9068 JWT access
token (RS256 with ``cryptography``; the same claim set as the IAM server's
token, copied from one of its tokens by ``prepare``), and INSERT one row
(the token's SHA-256 checksum, client, scope, resource, expiry) into
PostgreSQL over a persistent psycopg connection per worker thread (as Django
keeps one per thread). Served by the same gunicorn command as the IAM server.

``python bench/baselines/ceiling/app.py prepare --iam-fixtures F --dsn DSN
--config C --out O`` creates the table, the key and the client and writes the
configuration (``C``, read by the app through ``CEILING_CONFIG``) and the
Basic credentials (``O``, ``{"ceiling_basic": ...}``).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import psycopg
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS ceiling_access_token (
    id bigserial PRIMARY KEY,
    token_checksum char(64) NOT NULL UNIQUE,
    client_id varchar(100) NOT NULL,
    scope text NOT NULL,
    resource jsonb NOT NULL,
    expires timestamptz NOT NULL,
    created timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ceiling_access_token_client ON ceiling_access_token (client_id);
"""
INSERT_SQL = (
    "INSERT INTO ceiling_access_token (token_checksum, client_id, scope, resource, expires, created) "
    "VALUES (%s, %s, %s, %s, %s, %s)"
)
JSON_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenEndpoint:
    def __init__(self, config: dict[str, Any]) -> None:
        self.dsn: str = config["dsn"]
        self.client_id: str = config["client_id"]
        self.hmac_key = bytes.fromhex(config["hmac_key"])
        self.secret_hash = bytes.fromhex(config["secret_hash"])
        self.lifetime = int(config["lifetime"])
        self.claims: dict[str, Any] = config["claims"]  # static part of the claim set
        self.scopes = frozenset(config["scopes"])
        self.resource = json.dumps(config["resource"])
        self.key = serialization.load_pem_private_key(Path(config["key_file"]).read_bytes(), password=None)
        header = {"alg": "RS256", "kid": config["kid"], "typ": "at+jwt"}
        self.header = _b64(json.dumps(header, separators=(",", ":")).encode())
        self.local = threading.local()

    # --- persistence: one connection per thread, kept open -------------------------

    def _connection(self) -> psycopg.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(self.dsn, autocommit=True)
            self.local.conn = conn
        return conn

    def _insert(self, params: tuple[Any, ...]) -> None:
        try:
            self._connection().execute(INSERT_SQL, params)
        except psycopg.OperationalError:
            self.local.conn = None  # a dropped connection: reconnect once
            self._connection().execute(INSERT_SQL, params)

    # --- the request -----------------------------------------------------------------

    def _client_ok(self, authorization: str) -> bool:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        raw_id, _, raw_secret = decoded.partition(":")
        presented = hmac.new(self.hmac_key, unquote_plus(raw_secret).encode(), hashlib.sha256).digest()
        same_secret = hmac.compare_digest(presented, self.secret_hash)
        return same_secret and unquote_plus(raw_id) == self.client_id

    def _sign(self, claims: dict[str, Any]) -> str:
        signing_input = f"{self.header}.{_b64(json.dumps(claims, separators=(',', ':')).encode())}"
        signature = self.key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != "/oauth2/token":
            return self._reply(start_response, "404 Not Found", {"error": "not_found"})
        if environ.get("REQUEST_METHOD") != "POST":
            return self._reply(start_response, "405 Method Not Allowed", {"error": "invalid_request"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        form = parse_qs(environ["wsgi.input"].read(min(length, 65536)).decode("utf-8", "replace"))
        if not self._client_ok(environ.get("HTTP_AUTHORIZATION", "")):
            return self._reply(start_response, "401 Unauthorized", {"error": "invalid_client"})
        if form.get("grant_type") != ["client_credentials"]:
            return self._reply(start_response, "400 Bad Request", {"error": "unsupported_grant_type"})
        requested = form.get("scope", [""])[0].split()
        scope = " ".join(s for s in requested if s in self.scopes)
        now = int(time.time())
        claims = {
            **self.claims,
            "client_id": self.client_id,
            "sub": self.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime,
            "jti": str(uuid.uuid4()),
        }
        if scope:
            claims["scope"] = scope
        token = self._sign(claims)
        created = datetime.datetime.now(datetime.UTC)
        expires = datetime.datetime.fromtimestamp(now + self.lifetime, tz=datetime.UTC)
        checksum = hashlib.sha256(token.encode("ascii")).hexdigest()
        self._insert((checksum, self.client_id, scope, self.resource, expires, created))
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime}
        if scope:
            body["scope"] = scope
        return self._reply(start_response, "200 OK", body)

    @staticmethod
    def _reply(start_response: Any, status: str, body: dict[str, Any]) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(status, [*JSON_HEADERS, ("Content-Length", str(len(data)))])
        return [data]


def _load_application() -> Any:
    path = os.environ.get("CEILING_CONFIG")
    if not path:
        return None
    return TokenEndpoint(json.loads(Path(path).read_text()))


application = _load_application()


def prepare(args: argparse.Namespace) -> int:
    """Table, RSA key, client and the static claims, copied from an IAM client_credentials token."""
    iam = json.loads(Path(args.iam_fixtures).read_text())
    header_b64, payload_b64, _sig = iam["m2m_token"].split(".")
    header = json.loads(_b64decode(header_b64))
    payload = json.loads(_b64decode(payload_b64))
    if header.get("alg") != "RS256":
        print(f"prepare: the IAM server signs with {header.get('alg')}, the ceiling with RS256", file=sys.stderr)
    per_request = {"client_id", "sub", "iat", "nbf", "exp", "jti", "scope"}
    static_claims = {name: value for name, value in payload.items() if name not in per_request}
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = Path(args.config).with_suffix(".pem")
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    # Same lengths as the IAM server's client_id and kid, so the signed token has the same size.
    client_id = secrets.token_urlsafe(64)[: len(payload["client_id"])]
    kid = secrets.token_urlsafe(64)[: len(header.get("kid", "")) or 22]
    secret = secrets.token_urlsafe(32)
    hmac_key = secrets.token_bytes(32)
    aud = payload.get("aud", [])
    config = {
        "dsn": args.dsn,
        "client_id": client_id,
        "hmac_key": hmac_key.hex(),
        "secret_hash": hmac.new(hmac_key, secret.encode(), hashlib.sha256).hexdigest(),
        "lifetime": int(payload["exp"]) - int(payload["iat"]),
        "claims": static_claims,
        "scopes": payload.get("scope", "").split(),
        "resource": aud if isinstance(aud, list) else [aud],
        "key_file": str(key_file),
        "kid": kid,
    }
    Path(args.config).touch(mode=0o600)
    Path(args.config).write_text(json.dumps(config))
    with psycopg.connect(args.dsn, autocommit=True) as conn:
        conn.execute(TABLE_SQL)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    Path(args.out).touch(mode=0o600)
    Path(args.out).write_text(json.dumps({"ceiling_basic": basic}))
    print(f"prepare: ceiling ready (RS256 2048-bit key, claims copied from the IAM token: {sorted(payload)})")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare")
    prep.add_argument("--iam-fixtures", required=True)
    prep.add_argument("--dsn", required=True)
    prep.add_argument("--config", required=True)
    prep.add_argument("--out", required=True)
    args = parser.parse_args()
    return prepare(args)


if __name__ == "__main__":
    sys.exit(main())
