"""A loopback back-channel logout endpoint (OIDC Back-Channel Logout 1.0 §2.5): records each
``logout_token`` POSTed to it, per path, so one server can stand for several applications."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class LogoutReceiver:
    def __init__(self) -> None:
        self.received: list[tuple[str, str, str]] = []  # (path, content type, logout_token)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                token = (parse_qs(body).get("logout_token") or [""])[0]
                with receiver._lock:
                    receiver.received.append((self.path, self.headers.get("Content-Type", ""), token))
                self.send_response(200)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def tokens_for(self, path: str) -> list[str]:
        with self._lock:
            return [token for got, _type, token in self.received if got == path]


@contextmanager
def logout_receiver() -> Iterator[LogoutReceiver]:
    receiver = LogoutReceiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def logout_token_claims(token: str, organization: Any) -> dict[str, Any]:
    """The verified claims of a logout token signed with ``organization``'s key (typ logout+jwt)."""
    from apps.keystores.selectors import keystore_jwks
    from tests.oauth.helpers import jwt_parts, jwt_verified_claims

    header, _claims = jwt_parts(token)
    assert header["typ"] == "logout+jwt"
    return jwt_verified_claims(token, keystore_jwks(organization=organization))
