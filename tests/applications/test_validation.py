"""Redirect URI and origin rules (RFC 9700 §2.1, RFC 8252 §7) on their own."""

from __future__ import annotations

import pytest

from apps.applications.services.validation import clean_origin, clean_redirect_uri
from apps.core.errors import InvalidInput


@pytest.mark.parametrize(
    "uri",
    [
        "https://app.example.com/callback",
        "https://app.example.com/callback?tenant=a",
        "https://app.example.com:8443/cb",
        "http://localhost:8080/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:3000/cb",
        "HTTPS://App.Example.com/cb",
    ],
)
def test_accepted_redirect_uris(uri: str) -> None:
    assert clean_redirect_uri(uri) == uri


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "file:///etc/passwd",
        "https://app.example.com/cb#x",
        "/callback",
        "callback",
        "//app.example.com/cb",
        "http://app.example.com/cb",
        "http://localhost.evil.com/cb",
        "http://127.0.0.2/cb",
        "https://user@app.example.com/cb",
        "https://app.example.com/c b",
        "https://app.example.com/\x00",
        "https://app.éxample.com/cb",
        "https://app.example.com:0x50/cb",
        "com.example.app:/oauth2redirect",
        "",
        None,
        42,
    ],
)
def test_refused_redirect_uris(uri: object) -> None:
    with pytest.raises(InvalidInput):
        clean_redirect_uri(uri)


def test_custom_schemes_only_when_allowed() -> None:
    assert clean_redirect_uri("com.example.app:/oauth2redirect", custom_schemes=True)
    assert clean_redirect_uri("myapp://callback", custom_schemes=True)
    for uri in ("javascript:alert(1)", "data:x", "file:///x", "myapp:", "vbscript:x"):
        with pytest.raises(InvalidInput):
            clean_redirect_uri(uri, custom_schemes=True)


def test_origins() -> None:
    assert clean_origin("https://App.Example.com/") == "https://app.example.com"
    assert clean_origin("http://localhost:5173") == "http://localhost:5173"
    for origin in ("https://a.example.com/path", "https://a.example.com?x=1", "ftp://a.example.com", "a.example.com"):
        with pytest.raises(InvalidInput):
            clean_origin(origin)
