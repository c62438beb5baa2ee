"""Endpoint rules (URL shape, HTTPS, SSRF), checked when a webhook is saved and
again before every attempt (the name may resolve elsewhere by then).

An endpoint whose host resolves to a private, loopback, link-local, reserved,
multicast or unspecified address is refused unless
``IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS`` is on. The addresses checked are the
addresses connected to: the transport pins the connection to them."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from apps.core.errors import InvalidInput

MAX_ENDPOINT_LENGTH = 2048
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as written (for Host and TLS SNI)
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # resolved and checked


class TargetRefused(Exception):
    """The endpoint may not be called (at send time; the delivery fails without an HTTP request)."""


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        return (str(literal),)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return tuple(seen)


def _is_loopback_name(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def endpoint_parse(endpoint: object) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path)`` of an acceptable URL, or InvalidInput (WEBHOOK-60003/60004)."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise InvalidInput("WEBHOOK-60003", _("The endpoint must be an absolute http(s) URL."), field="endpoint")
    endpoint = endpoint.strip()
    if len(endpoint) > MAX_ENDPOINT_LENGTH or any(ord(c) < 33 or c == "\x7f" for c in endpoint):
        raise InvalidInput("WEBHOOK-60003", _("The endpoint must be an absolute http(s) URL."), field="endpoint")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
        host = parts.hostname or ""
    except ValueError as exc:
        raise InvalidInput("WEBHOOK-60003", _("The endpoint is not a valid URL."), field="endpoint") from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise InvalidInput("WEBHOOK-60003", _("The endpoint must be an absolute http(s) URL."), field="endpoint")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("WEBHOOK-60003", _("The endpoint must not contain credentials."), field="endpoint")
    if parts.fragment:
        raise InvalidInput("WEBHOOK-60003", _("The endpoint must not contain a fragment."), field="endpoint")
    if parts.scheme == "http" and settings.IAM_WEBHOOK_REQUIRE_HTTPS and not _is_loopback_name(host):
        raise InvalidInput("WEBHOOK-60004", _("The endpoint must use HTTPS."), field="endpoint")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def endpoint_resolve(endpoint: str) -> Target:
    """Parse, resolve and check ``endpoint``; InvalidInput when it may not be called."""
    scheme, host, port, path = endpoint_parse(endpoint)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput("WEBHOOK-60004", _("The endpoint's host name does not resolve."), field="endpoint") from exc
    if not addresses:
        raise InvalidInput("WEBHOOK-60004", _("The endpoint's host name does not resolve."), field="endpoint")
    if not settings.IAM_WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address)):
                raise InvalidInput(
                    "WEBHOOK-60004",
                    _("The endpoint resolves to a private, loopback or link-local address, which is not allowed."),
                    field="endpoint",
                )
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=addresses)
