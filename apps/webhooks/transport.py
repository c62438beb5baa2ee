"""One HTTP attempt: POST the body to the endpoint's checked address.

No redirects are followed (a 3xx is a failure), the response body is read up
to ``IAM_WEBHOOK_MAX_RESPONSE_BYTES`` and the whole attempt is bounded by
``IAM_WEBHOOK_TIMEOUT_SECONDS``. Connections go to the address that passed the
SSRF check (TLS still verifies the endpoint's host name) and are kept alive
per process for the next delivery to the same endpoint."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import urllib3
from django.conf import settings

from apps.core.cache import BoundedCache
from apps.webhooks.targets import Target

log = logging.getLogger(__name__)
EXCERPT_CHARS = 500
USER_AGENT = "IdentityServer-Webhooks/1.0"

_pools = BoundedCache(max_entries=256, ttl_seconds=300)


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""


def _pool(target: Target, address: str, timeout: float) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.host, target.port, address, timeout)
    pool = _pools.get(key)
    if pool is None:
        common = {
            "host": address,
            "port": target.port,
            "maxsize": 4,
            "block": False,
            "retries": False,
            "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        }
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                **common, server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED"
            )
        else:
            pool = urllib3.HTTPConnectionPool(**common)
        _pools.put(key, pool)
    return pool


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


def post(target: Target, body: bytes, headers: dict[str, str]) -> AttemptResult:
    timeout = settings.IAM_WEBHOOK_TIMEOUT_SECONDS
    cap = settings.IAM_WEBHOOK_MAX_RESPONSE_BYTES
    started = time.monotonic()
    deadline = started + timeout
    request_headers = {
        "Host": _host_header(target),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **headers,
    }
    response = None
    try:
        pool = _pool(target, target.addresses[0], timeout)
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=request_headers,
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        received = bytearray()
        for chunk in response.stream(8192):
            received += chunk
            if len(received) >= cap:
                del received[cap:]
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the response took longer than the timeout")
        status = response.status
        complete = response.isclosed() or response.length_remaining in (0, None)
        latency = int((time.monotonic() - started) * 1000)
        excerpt = bytes(received[: EXCERPT_CHARS * 4]).decode("utf-8", "replace")[:EXCERPT_CHARS]
        ok = 200 <= status < 300
        error = "" if ok else (f"redirect not followed (HTTP {status})" if 300 <= status < 400 else f"HTTP {status}")
        if complete and len(received) < cap:
            response.release_conn()
        else:  # a body we stopped reading: the connection cannot be reused
            response.close()
        return AttemptResult(ok=ok, status_code=status, latency_ms=latency, excerpt=excerpt, error=error)
    except (urllib3.exceptions.HTTPError, OSError, TimeoutError) as exc:
        if response is not None:
            response.close()
        latency = int((time.monotonic() - started) * 1000)
        return AttemptResult(ok=False, status_code=None, latency_ms=latency, error=_describe(exc))


def _describe(exc: Exception) -> str:
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # before TimeoutError: it subclasses it
        return "connection refused or unreachable"
    if isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError)):
        return "timed out"
    if isinstance(exc, (urllib3.exceptions.ProtocolError, ConnectionResetError)):
        return f"connection error: {exc}"[:300]
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {exc}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]
