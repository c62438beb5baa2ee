"""Load driver for the full browser login: authorization code + PKCE through the login form.

One flow, as a browser and its relying party do it (5 HTTP requests):

1. GET  /oauth2/authorize?response_type=code&...&code_challenge=...  -> 302 to the login page
2. GET  /oauth2/login?next=...                                        -> 200, the form and its CSRF token
3. POST /oauth2/login (username, password: one Argon2id verify)       -> 302 back to authorize
4. GET  /oauth2/authorize?... (now signed in)                         -> 302 to the redirect URI with the code
5. POST /oauth2/token (code, code_verifier, client_secret_basic)      -> 200: access, ID and refresh tokens

Each flow starts with an empty cookie jar (a new browser). ``threads``
flows run at once, each thread keeping its HTTP connection alive (requests
``Session``). The server runs with production settings, whose cookies are
``Secure``; the bench talks plain HTTP on loopback, so the driver sends the
jar's cookies itself (requests would hold Secure cookies back over HTTP), as
a browser would over the TLS that a real deployment terminates in front of
the server.

A flow counts when it completes inside the measured window; its latency is
from step 1 to the token response. Any unexpected status, a missing field or
a state mismatch makes the flow an error (the first few are kept as samples).
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT_RE = re.compile(r'name="next" value="([^"]+)"')


class FlowError(Exception):
    pass


@dataclass
class LoginResult:
    flows: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    driver_cpu_seconds: float = 0.0
    step_ms: dict[str, float] = field(default_factory=dict)  # summed over the counted flows

    def step_means(self) -> dict[str, float]:
        return {step: total / self.flows for step, total in self.step_ms.items()} if self.flows else {}

    @property
    def rate(self) -> float:
        return self.flows / self.seconds if self.seconds else 0.0

    def percentile(self, pct: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)  # nearest rank
        index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
        return ordered[index]


def new_browser() -> requests.Session:
    """An HTTP client with a keep-alive connection and a cookie jar."""
    return requests.Session()


def _cookies(session: requests.Session, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Headers with every cookie of the jar, Secure ones included (a single host, so no scoping)."""
    headers = {"Cookie": "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)}
    return {**headers, **(extra or {})} if session.cookies else dict(extra or {})


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _expect(response: requests.Response, status: int, step: str) -> None:
    if response.status_code != status:
        raise FlowError(f"{step}: HTTP {response.status_code} (expected {status}): {response.text[:200]!r}")


STEPS = ("authorize", "login page", "login POST", "authorize again", "token")


def login_flow(
    session: requests.Session,
    base_url: str,
    fixtures: dict[str, Any],
    username: str,
    steps: dict[str, float] | None = None,
) -> None:
    """One complete login; raises ``FlowError`` when any step is not as expected.
    ``steps`` receives the milliseconds each of ``STEPS`` took (the response's ``elapsed``)."""
    steps = {} if steps is None else steps
    session.cookies.clear()
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(12)
    redirect_uri = fixtures["web_redirect_uri"]
    query = urlencode(
        {
            "response_type": "code",
            "client_id": fixtures["web_client_id"],
            "redirect_uri": redirect_uri,
            "scope": fixtures["web_scope"],
            "state": state,
            "nonce": secrets.token_urlsafe(12),
            "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256",
        }
    )
    response = session.get(f"{base_url}/oauth2/authorize?{query}", allow_redirects=False, timeout=30)
    steps[STEPS[0]] = response.elapsed.total_seconds() * 1000
    _expect(response, 302, "authorize (signed out)")
    login_url = urljoin(base_url + "/", response.headers["Location"])

    response = session.get(login_url, allow_redirects=False, timeout=30, headers=_cookies(session))
    steps[STEPS[1]] = response.elapsed.total_seconds() * 1000
    _expect(response, 200, "login page")
    csrf = CSRF_RE.search(response.text)
    next_field = NEXT_RE.search(response.text)
    if csrf is None or next_field is None:
        raise FlowError("login page: no CSRF token or next field in the form")
    form = {
        "csrfmiddlewaretoken": csrf.group(1),
        "username": username,
        "password": fixtures["login_password"],
        "next": next_field.group(1).replace("&amp;", "&"),
    }
    headers = _cookies(session, {"Referer": login_url})
    response = session.post(login_url, data=form, allow_redirects=False, timeout=30, headers=headers)
    steps[STEPS[2]] = response.elapsed.total_seconds() * 1000
    _expect(response, 302, "login form POST")
    authorize_url = urljoin(login_url, response.headers["Location"])

    response = session.get(authorize_url, allow_redirects=False, timeout=30, headers=_cookies(session))
    steps[STEPS[3]] = response.elapsed.total_seconds() * 1000
    _expect(response, 302, "authorize (signed in)")
    location = response.headers["Location"]
    if not location.startswith(redirect_uri):
        raise FlowError(f"authorize (signed in): redirected to {location[:200]!r}")
    params = parse_qs(urlsplit(location).query)
    if params.get("state") != [state] or not params.get("code"):
        raise FlowError(f"authorize (signed in): no code or a wrong state in {location[:200]!r}")

    response = session.post(
        f"{base_url}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {fixtures['web_basic']}"},
        timeout=30,
    )
    steps[STEPS[4]] = response.elapsed.total_seconds() * 1000
    _expect(response, 200, "token")
    body = response.json()
    if not all(body.get(name) for name in ("access_token", "id_token", "refresh_token")):
        raise FlowError(f"token: missing tokens in {sorted(body)}")


def run_logins(base_url: str, fixtures: dict[str, Any], *, threads: int, warmup: float, duration: float) -> LoginResult:
    """``threads`` browsers logging in back to back for ``warmup + duration`` seconds."""
    result = LoginResult()
    lock = threading.Lock()
    usernames = fixtures["login_usernames"]
    started = time.perf_counter()
    window_start = started + warmup
    window_end = window_start + duration
    stop = threading.Event()

    def browser(index: int) -> None:
        session = new_browser()
        n = 0
        while not stop.is_set() and time.perf_counter() < window_end:
            username = usernames[(index + n) % len(usernames)]
            n += 1
            flow_start = time.perf_counter()
            steps: dict[str, float] = {}
            try:
                login_flow(session, base_url, fixtures, username, steps)
                ok, problem = True, ""
            except (FlowError, requests.RequestException, KeyError, ValueError) as exc:
                ok, problem = False, f"{type(exc).__name__}: {exc}"
            flow_end = time.perf_counter()
            if not window_start <= flow_end <= window_end:
                continue
            with lock:
                if ok:
                    result.flows += 1
                    result.latencies_ms.append((flow_end - flow_start) * 1000)
                    for step, ms in steps.items():
                        result.step_ms[step] = result.step_ms.get(step, 0.0) + ms
                else:
                    result.errors += 1
                    if len(result.error_samples) < 3:
                        result.error_samples.append(problem)
        session.close()

    cpu_before = time.process_time()
    workers = [threading.Thread(target=browser, args=(i,), daemon=True) for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
    finally:
        stop.set()
    result.driver_cpu_seconds = time.process_time() - cpu_before
    result.seconds = duration
    return result
