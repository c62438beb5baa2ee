"""Real loopback servers for the delivery tests: an OAuth2 token endpoint (client credentials),
an SMTP server (aiosmtpd) that only accepts ``AUTH XOAUTH2`` with a token that endpoint issued,
and an HTTP endpoint that records SMS requests."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import socket
import ssl
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as MimeMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True


@dataclass
class TokenEndpoint:
    """``POST /token`` with ``grant_type=client_credentials``; remembers the tokens it issued."""

    client_id: str = "smtp-client"
    client_secret: str = "smtp-secret-123"
    issued: list[str] = field(default_factory=list)
    requests: list[dict[str, list[str]]] = field(default_factory=list)

    def start(self) -> TokenEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                endpoint.requests.append(form)
                ok = (
                    form.get("grant_type") == ["client_credentials"]
                    and form.get("client_id") == [endpoint.client_id]
                    and form.get("client_secret") == [endpoint.client_secret]
                )
                if ok:
                    token = secrets.token_urlsafe(24)
                    endpoint.issued.append(token)
                    body, status = {"access_token": token, "token_type": "Bearer", "expires_in": 3600}, 200
                else:
                    body, status = {"error": "invalid_client"}, 401
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = _Recorder(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class XOAuth2Handler:
    """aiosmtpd handler: XOAUTH2 is the only mechanism; the bearer must come from ``tokens``."""

    def __init__(self, tokens: TokenEndpoint | None) -> None:
        self.tokens = tokens
        self.logins: list[str] = []
        self.rejected: list[str] = []
        self.messages: list[MimeMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:  # noqa: N802
        if len(args) > 1:
            blob = args[1]
        else:
            blob = (await server.challenge_auth("", encode_to_b64=False)).decode()
        try:
            parts = base64.b64decode(blob).decode().split("\x01")
            fields = dict(p.split("=", 1) for p in parts if "=" in p)
            token = fields.get("auth", "").removeprefix("Bearer ")
        except ValueError:
            fields, token = {}, ""
        if self.tokens is not None and token in self.tokens.issued:
            self.logins.append(fields["user"])
            return AuthResult(success=True, auth_data=fields["user"])
        self.rejected.append(token)
        error = base64.b64encode(b'{"status":"401","schemes":"bearer"}').decode()
        await server.challenge_auth(error, encode_to_b64=False)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


class SmtpServer:
    """``tls_context``/``require_starttls`` for STARTTLS, ``ssl_context`` for implicit TLS."""

    def __init__(self, tokens: TokenEndpoint | None, port: int | None = None, **tls: Any) -> None:
        self.handler = XOAuth2Handler(tokens)
        self.port = port or free_port()
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            auth_required=tokens is not None,
            # aiosmtpd only counts STARTTLS as TLS for AUTH; an implicit-TLS session is encrypted anyway.
            auth_require_tls="tls_context" in tls,
            auth_exclude_mechanism=["LOGIN", "PLAIN"],
            **tls,
        )

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def text_of(mime: MimeMessage) -> str:
    for part in mime.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    return ""


@dataclass
class SmsEndpoint:
    """Records every request: method, path, headers and body."""

    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)

    def start(self) -> SmsEndpoint:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _record(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                endpoint.received.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                )
                self.send_response(endpoint.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_PUT = do_GET = _record  # noqa: N815

        self.server = _Recorder(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/sms"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (its own CA) and its key, as PEM files in ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context
