"""A real HTTP receiver on loopback for webhook tests: records every request and
answers as told (status, delay, connection reset, redirect, enormous body), and
can go down and come back up on the same port."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def jti(self) -> str:
        return self.json["jti"]

    @property
    def event_type(self) -> str:
        (uri,) = self.json["events"].keys()
        return uri

    @property
    def event(self) -> dict[str, Any]:
        return self.json["events"][self.event_type]

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("x-wso2-event-signature", ""), expected)


@dataclass
class Behaviour:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    reset: bool = False
    redirect_to: str = ""
    huge_body_bytes: int = 0
    hold: threading.Event | None = None  # block each request until set


@dataclass
class Receiver:
    host: str = "127.0.0.1"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    behaviour: Behaviour = field(default_factory=Behaviour)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 65536  # one write per response (no Nagle / delayed-ACK stalls)

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                behaviour = receiver.behaviour
                with receiver._lock:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time())
                    )
                receiver.arrived.set()
                if behaviour.hold is not None:
                    behaviour.hold.wait(60)
                if behaviour.delay:
                    time.sleep(behaviour.delay)
                if behaviour.reset:  # RST instead of a response
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    self.connection.close()
                    return
                if behaviour.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", behaviour.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if behaviour.huge_body_bytes:
                    self.send_response(behaviour.status)
                    self.send_header("Content-Length", str(behaviour.huge_body_bytes))
                    self.end_headers()
                    chunk = b"x" * 65536
                    try:
                        for _ in range(behaviour.huge_body_bytes // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass  # the client stopped reading, as it should
                    self.close_connection = True
                    return
                self.send_response(behaviour.status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(behaviour.body)))
                self.end_headers()
                self.wfile.write(behaviour.body)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    down = stop

    def up(self) -> None:
        self.start()

    # --- helpers -------------------------------------------------------------------------------------

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def of_type(self, suffix: str) -> list[Received]:
        return [r for r in list(self.received) if r.event_type.endswith(suffix)]

    def wait_for(self, count: int, timeout: float = 10.0, predicate: Any = None) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            items = [r for r in list(self.received) if predicate is None or predicate(r)]
            if len(items) >= count:
                return items
            time.sleep(0.02)
        items = [r for r in list(self.received) if predicate is None or predicate(r)]
        raise AssertionError(f"expected {count} requests, got {len(items)}")
