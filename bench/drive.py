"""Drive the running servers, one scenario at a time, and print a table with ratios.

``bench/run.sh`` starts three servers under the same gunicorn settings (the
IAM server, the bare django-oauth-toolkit baseline and the framework-less
ceiling, see ``bench/baselines/``) and calls this; it needs no Django. To add
a scenario, append to ``SCENARIOS``: ``{name}`` placeholders in the path,
headers and body are filled from the fixtures JSON files that
``bench/prepare.py`` and the baselines' ``prepare`` write (add new fixtures
there).

Kinds of scenario: ``wrk`` (one request shape, optionally chained: see
``report.lua``), ``login`` (the multi-step browser login, ``bench/login.py``)
and ``hashrate`` (``bench/hashrate.py``). Every rate is printed with its ratio
to the DOT baseline and to the ceiling measured in the same run, and the
issue's targets are reported as met / not met.

No timing thresholds live here: the exit status is non-zero only when the
harness fails, a scenario does not answer with the expected status
(preflight), or most of its responses under load are errors. A missed target
is a line in the report, never a failure.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "report.lua"
BEARER = {"Authorization": "Bearer {admin_token}"}
FORM = "application/x-www-form-urlencoded"
M2M_FORM = {"Authorization": "Basic {m2m_basic}", "Content-Type": FORM}
WEB_FORM = {"Authorization": "Basic {web_basic}", "Content-Type": FORM}
DOT_FORM = {"Authorization": "Basic {dot_basic}", "Content-Type": FORM}
CEILING_FORM = {"Authorization": "Basic {ceiling_basic}", "Content-Type": FORM}
# Keys of the two same-run references every rate is divided by.
DOT, CEILING = "dot", "ceiling"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str = ""
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    expect_status: int = 200  # checked once before the load; under load, non-2xx are counted
    # Key into REFERENCES for a published figure to print beside the table.
    reference: str | None = None
    server: str = "iam"  # iam | dot | ceiling: which running server
    kind: str = "wrk"  # wrk | login | hashrate
    key: str = ""  # how ratios and targets refer to this scenario
    # Chained wrk requests (report.lua): a fixture list of seed values, "{chain}" in the body,
    # and the JSON field of each response that feeds the next request.
    chain: str = ""
    chain_field: str = ""
    processes: int = 0  # hashrate: 0 = one per CPU
    always: bool = False  # runs whatever --only says (the references the ratios need)
    again: bool = False  # a second run of a reference: figures only, no notes


def _ceiling(name: str, *, again: bool = False) -> Scenario:
    """Reference (2): raw WSGI, HMAC secret check, RS256 JWT with the same claims, one INSERT."""
    return Scenario(
        name=name,
        path="/oauth2/token",
        method="POST",
        headers=CEILING_FORM,
        body="grant_type=client_credentials&scope=bench:read",
        server="ceiling",
        key=CEILING,
        always=True,
        again=again,
    )


def _dot(name: str, *, again: bool = False) -> Scenario:
    """Reference (1): django-oauth-toolkit defaults (opaque tokens), secret hashing off, CONN_MAX_AGE on."""
    return Scenario(
        name=name,
        path="/o/token/",
        method="POST",
        headers=DOT_FORM,
        body="grant_type=client_credentials&scope=read",
        server="dot",
        key=DOT,
        always=True,
        again=again,
    )


# The one place where scenarios are listed.
SCENARIOS: list[Scenario] = [
    # Same-run baseline: middleware, tenant lookup and SELECT 1, no auth.
    Scenario(name="GET /health (no auth, baseline)", path="/health", reference="framework-floor"),
    Scenario(
        name="management API GET users?limit=10 (bearer)",
        path="/api/server/v1/users?limit=10",
        headers=BEARER,
        reference="management-read",
    ),
    Scenario(
        name="management API GET organizations (bearer)",
        path="/api/server/v1/organizations",
        headers=BEARER,
        reference="management-read",
    ),
    # The three client_credentials runs back to back, so that their ratios see the same host load.
    _ceiling("reference: ceiling, raw WSGI client_credentials"),
    _dot("reference: bare django-oauth-toolkit client_credentials"),
    # One cached client lookup, a JWT signature, one INSERT (the target: >= 1,000/s on 2 cores).
    Scenario(
        name="client_credentials JWT token",
        path="/oauth2/token",
        method="POST",
        headers=M2M_FORM,
        body="grant_type=client_credentials&scope=bench:read",
        reference="client-credentials",
        key="client_credentials",
    ),
    # Rotation on (the web template's default), so every request needs an unused refresh token:
    # each presents one that an earlier response of the same wrk thread returned, as a client
    # keeps the token it was just given (report.lua; the chains start from prepare.py's seeds).
    Scenario(
        name="refresh_token grant (rotation on, JWT)",
        path="/oauth2/token",
        method="POST",
        headers=WEB_FORM,
        body="grant_type=refresh_token&refresh_token={chain}",
        chain="refresh_seeds",
        chain_field="refresh_token",
        reference="refresh",
        key="refresh",
    ),
    Scenario(
        name="introspection (JWT access token)",
        path="/oauth2/introspect",
        method="POST",
        headers=M2M_FORM,
        body="token={m2m_token}",
    ),
    Scenario(
        name="full login: authorize, login form (Argon2id), code + PKCE exchange [logins/s]",
        kind="login",
        reference="login",
        key="login",
    ),
    # Right after the login, so that the ratio login / hash rate sees about the same host load.
    Scenario(name="Argon2id verify, 1 process [hashes/s]", kind="hashrate", processes=1, key="hash-1"),
    Scenario(name="Argon2id verify, 1 process per CPU [hashes/s]", kind="hashrate", key="hash-n"),
    # The references again, after the IAM scenarios: their two runs show the drift of the host.
    _ceiling("reference again: ceiling", again=True),
    _dot("reference again: bare django-oauth-toolkit", again=True),
]


@dataclass(frozen=True)
class Target:
    """One of the issue's performance targets: ``scenario``'s rate >= ``factor`` x ``versus``'s,
    or (``versus`` empty) its p99 below ``p99_ms``. Reported, never enforced."""

    text: str
    scenario: str
    versus: str = ""
    factor: float = 0.0
    p99_ms: float = 0.0


TARGETS = [
    Target("client_credentials >= 2x the DOT baseline", "client_credentials", DOT, 2.0),
    Target("client_credentials >= 0.6x the ceiling", "client_credentials", CEILING, 0.6),
    Target("client_credentials p99 < 50 ms (at the run's connections)", "client_credentials", p99_ms=50.0),
    Target("refresh >= 0.5x the ceiling", "refresh", CEILING, 0.5),
    Target("full login >= 0.8x the Argon2id hash rate (1 process per CPU)", "login", "hash-n", 0.8),
]

# Published figures (from the shared performance-anchors.md) printed as
# context under the table. Different hardware and tools: orientation only.
REFERENCES: dict[str, list[str]] = {
    "framework-floor": [
        "Django JSON view doing no work (framework floor): 3,478 req/s, p99 19 ms; 2-core machine, gunicorn "
        "2 workers x 4 threads (gthread), PostgreSQL 15 on loopback, wrk -t2 -c16 on the same host",
    ],
    "client-credentials": [
        "Issue figures on this kind of 2-core machine: bare django-oauth-toolkit ~450 tokens/s (secret hashing "
        "off), framework-less WSGI ceiling ~1,500/s, DOT with hashed secrets ~6/s; target >= 1,000/s, p99 < 50 ms",
    ],
    "refresh": [
        "Keycloak 26: 120 refresh/s per vCPU (ARM c7g; x86 'up to 2x'), Keycloak 24: ~117 per cluster vCPU "
        "(performance-anchors.md)",
    ],
    "login": [
        "Keycloak 26: 15 password logins/s per vCPU with Argon2id m=7 MiB t=5 (ARM c7g); WSO2 IS 7.0 auth-code "
        "78 flows/s on 2 vCPU with single-round SHA-256 passwords (performance-anchors.md)",
    ],
    "management-read": [
        "Ory Hydra 'list clients' (management read): 7,495 req/s; in-memory store, unspecified CI machine, "
        "hey c=100 (Hydra BENCHMARKS.md)",
    ],
}

RESULT_RE = re.compile(r"^BENCH_RESULT (.*)$", re.MULTILINE)


@dataclass
class Outcome:
    scenario: Scenario
    requests: int = 0  # completed requests (logins, hashes)
    seconds: float = 0.0
    p50_ms: float = math.nan
    p99_ms: float = math.nan
    non2xx: int = 0  # error responses (login: failed flows)
    socket_errors: int = 0
    starved: int = 0  # chained requests sent without a seed (their chain broke)
    failure: str = ""
    notes: list[str] = field(default_factory=list)
    rate: float | None = None  # set directly when not requests / seconds (hash rates)

    @property
    def rps(self) -> float:
        if self.rate is not None:
            return self.rate
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def mostly_errors(self) -> bool:
        if self.scenario.kind == "hashrate":
            return self.rps <= 0
        return self.requests == 0 or self.non2xx * 2 > self.requests


def _fill(template: str, fixtures: dict[str, Any]) -> str:
    """Fixture placeholders filled in; ``{chain}`` stays for report.lua's chained requests."""
    return template.format(**{"chain": "{chain}", **fixtures})


def _preflight(base_url: str, scenario: Scenario, headers: dict[str, str], body: str) -> tuple[str, str]:
    """One request before the load: ``(error, body)``, the error empty when the status is as expected."""
    request = urllib.request.Request(
        base_url + scenario.path, method=scenario.method, headers=headers, data=body.encode() or None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read(65536).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read(300).decode(errors="replace")
    except OSError as exc:
        return f"preflight request failed: {exc}", ""
    if status != scenario.expect_status:
        return f"preflight got HTTP {status} (expected {scenario.expect_status}): {text[:300]}", text
    return "", text


def _token_note(scenario: Scenario, text: str) -> str:
    """The size of the access token a token endpoint issued (to compare what the servers sign)."""
    try:
        token = json.loads(text).get("access_token", "")
    except (ValueError, AttributeError):
        return ""
    if not token:
        return ""
    kind = "JWT" if token.count(".") == 2 else "opaque"
    return f"{scenario.name}: issues a {len(token)}-character {kind} access token"


def _wrk(
    url: str,
    headers: dict[str, str],
    scenario: Scenario,
    body: str,
    *,
    threads: int,
    connections: int,
    seconds: int,
    seeds: list[str] | None = None,
) -> dict[str, int]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    env = {**os.environ, "BENCH_METHOD": scenario.method, "BENCH_BODY": body}
    if seeds:
        env |= {
            "BENCH_CHAIN_SEEDS": ",".join(seeds),
            "BENCH_CHAIN_FIELD": scenario.chain_field,
            "BENCH_CHAIN_THREADS": str(threads),
        }
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    match = RESULT_RE.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed (exit {completed.returncode}): {completed.stderr.strip() or completed.stdout}")
    return {key: int(float(value)) for key, value in (pair.split("=") for pair in match.group(1).split())}


def chain_seeds_needed(connections: int) -> int:
    """Seeds a chained scenario uses: one preflight, then two per connection for each of the two wrk runs."""
    return 1 + 2 * 2 * connections


def run_wrk_scenario(scenario: Scenario, args: argparse.Namespace, fixtures: dict[str, Any]) -> Outcome:
    outcome = Outcome(scenario)
    base_url = args.urls[scenario.server]
    seeds: list[str] = list(fixtures.get(scenario.chain, [])) if scenario.chain else []
    if scenario.chain and len(seeds) < chain_seeds_needed(args.connections):
        outcome.failure = (
            f"{len(seeds)} {scenario.chain} in the fixtures, {chain_seeds_needed(args.connections)} needed "
            f"for {args.connections} connections (bench/prepare.py --refresh-seeds)"
        )
        return outcome
    body_template = _fill(scenario.body, fixtures) if scenario.body else ""
    headers = {name: _fill(value, fixtures) for name, value in scenario.headers.items()}
    if body_template and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    preflight_body = body_template.replace("{chain}", seeds.pop(0)) if seeds else body_template
    error, text = _preflight(base_url, scenario, headers, preflight_body)
    if error:
        outcome.failure = error
        return outcome
    note = _token_note(scenario, text)
    if note and not scenario.again:
        outcome.notes.append(note)
    url = base_url + scenario.path
    options = {"threads": args.threads, "connections": args.connections}
    per_run = 2 * args.connections
    try:
        if args.warmup > 0:
            _wrk(url, headers, scenario, body_template, seconds=args.warmup, seeds=seeds[:per_run], **options)
        seeds = seeds[per_run:]
        result = _wrk(url, headers, scenario, body_template, seconds=args.duration, seeds=seeds[:per_run], **options)
    except RuntimeError as exc:
        outcome.failure = str(exc)
        return outcome
    outcome.requests = result["requests"]
    outcome.seconds = result["duration_us"] / 1e6
    outcome.p50_ms = result["p50_us"] / 1000
    outcome.p99_ms = result["p99_us"] / 1000
    outcome.non2xx = result["non2xx"]
    outcome.socket_errors = sum(result[key] for key in ("connect", "read", "write", "timeout"))
    outcome.starved = result.get("starved", 0)
    return outcome


def run_login_scenario(scenario: Scenario, args: argparse.Namespace, fixtures: dict[str, Any]) -> Outcome:
    import requests
    from login import FlowError, login_flow, new_browser, run_logins

    outcome = Outcome(scenario)
    base_url = args.urls[scenario.server]
    try:  # preflight: one login, errors shown as they are
        with new_browser() as session:
            login_flow(session, base_url, fixtures, fixtures["login_usernames"][0])
    except (FlowError, requests.RequestException, KeyError, ValueError) as exc:
        outcome.failure = f"preflight login failed: {type(exc).__name__}: {exc}"
        return outcome
    result = run_logins(
        base_url, fixtures, threads=args.connections, warmup=float(args.warmup), duration=float(args.duration)
    )
    outcome.requests = result.flows
    outcome.seconds = result.seconds
    outcome.p50_ms = result.percentile(50)
    outcome.p99_ms = result.percentile(99)
    outcome.non2xx = result.errors
    cpu_share = result.driver_cpu_seconds / (args.warmup + args.duration)
    outcome.notes.append(
        f"{scenario.name}: Python driver (requests, {args.connections} threads, 5 HTTP requests per login) used "
        f"{cpu_share:.0%} of one CPU on the same host"
    )
    means = ", ".join(f"{step} {ms:.1f}" for step, ms in result.step_means().items())
    if means:
        outcome.notes.append(f"{scenario.name}: mean ms per step (time to response headers): {means}")
    outcome.notes += [f"{scenario.name}: error sample: {sample}" for sample in result.error_samples]
    return outcome


def run_hashrate_scenario(scenario: Scenario, args: argparse.Namespace) -> Outcome:
    outcome = Outcome(scenario)
    processes = scenario.processes or os.cpu_count() or 1
    command = [
        sys.executable,
        str(BENCH_DIR / "hashrate.py"),
        "--processes",
        str(processes),
        "--seconds",
        str(args.hash_seconds),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        outcome.failure = f"hashrate.py failed (exit {completed.returncode}): {completed.stderr.strip()[-500:]}"
        return outcome
    data = json.loads(completed.stdout.strip().splitlines()[-1])
    outcome.rate = float(data["total"])
    outcome.seconds = float(data["seconds"])
    outcome.requests = round(outcome.rate * outcome.seconds)
    per_process = data["per_process"]
    ms_per_hash = ", ".join(f"{1000 / rate:.1f}" for rate in per_process if rate)
    params = ", ".join(f"{name}={value}" for name, value in data["params"].items())
    outcome.notes.append(
        f"{scenario.name}: {data['hasher']} ({data['algorithm']}, {params}), {processes} process(es) x "
        f"{data['seconds']:g} s, ms per hash per process: {ms_per_hash}"
    )
    return outcome


def run_scenario(scenario: Scenario, args: argparse.Namespace, fixtures: dict[str, Any]) -> Outcome:
    if scenario.kind == "login":
        return run_login_scenario(scenario, args, fixtures)
    if scenario.kind == "hashrate":
        return run_hashrate_scenario(scenario, args)
    return run_wrk_scenario(scenario, args, fixtures)


def _ms(value: float) -> str:
    if math.isnan(value):
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 10 else f"{value:.1f}x"


def _good(outcome: Outcome | None) -> bool:
    return outcome is not None and not outcome.failure and not outcome.mostly_errors and outcome.rps > 0


def key_rates(outcomes: list[Outcome]) -> dict[str, float]:
    """Rate per scenario key; a key measured more than once (the references, at the start and
    at the end of the run) gets the mean of its runs."""
    runs: dict[str, list[float]] = {}
    for o in outcomes:
        if o.scenario.key and _good(o):
            runs.setdefault(o.scenario.key, []).append(o.rps)
    return {key: sum(values) / len(values) for key, values in runs.items()}


def ratio_to(outcome: Outcome, rates: dict[str, float], key: str) -> float | None:
    if not _good(outcome) or outcome.scenario.kind == "hashrate" or key not in rates:
        return None
    return outcome.rps / rates[key]


def render_table(outcomes: list[Outcome]) -> list[str]:
    rates = key_rates(outcomes)
    header = ["scenario", "per s", "p50 ms", "p99 ms", "errors", "x DOT", "x ceiling"]
    rows = []
    for o in outcomes:
        if o.failure:
            rows.append([o.scenario.name, "FAILED", "-", "-", "-", "-", "-"])
        else:
            rows.append(
                [
                    o.scenario.name,
                    _rate(o.rps),
                    _ms(o.p50_ms),
                    _ms(o.p99_ms),
                    "-" if o.scenario.kind == "hashrate" else f"{o.non2xx:,}",
                    _ratio(ratio_to(o, rates, DOT)),
                    _ratio(ratio_to(o, rates, CEILING)),
                ]
            )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        padded = [cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in pairs]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return [line(header), separator, *(line(row) for row in rows)]


def render_reference_drift(outcomes: list[Outcome]) -> list[str]:
    """How much each reference moved between its runs in this bench (the host is shared)."""
    lines = []
    for key, label in ((CEILING, "ceiling"), (DOT, "DOT baseline")):
        values = [o.rps for o in outcomes if o.scenario.key == key and _good(o)]
        if len(values) > 1:
            spread = (max(values) - min(values)) / (sum(values) / len(values))
            runs = " then ".join(f"{_rate(v)}/s" for v in values)
            mean = sum(values) / len(values)
            lines.append(f"  {label}: {runs} ({spread:.0%} apart); ratios use the mean, {_rate(mean)}/s")
    return lines


def render_targets(outcomes: list[Outcome]) -> list[str]:
    """The issue's targets beside the figures, marked met / not met (a report, not a verdict)."""
    rates = key_rates(outcomes)
    by_key = {o.scenario.key: o for o in outcomes if o.scenario.key and _good(o)}
    lines = []
    for target in TARGETS:
        outcome = by_key.get(target.scenario)
        if outcome is None:
            continue
        name = outcome.scenario.key
        if target.versus:
            if target.versus not in rates:
                lines.append(f"  [n/a]     {target.text}: {target.versus} not measured")
                continue
            ratio = outcome.rps / rates[target.versus]
            met = ratio >= target.factor
            detail = f"{name} {_rate(outcome.rps)}/s = {ratio:.2f}x {target.versus} ({_rate(rates[target.versus])}/s)"
        else:
            met = outcome.p99_ms < target.p99_ms
            detail = f"{name} p99 {_ms(outcome.p99_ms)} ms"
        lines.append(f"  [{'met' if met else 'not met'}]{' ' * (4 if met else 0)} {target.text}: {detail}")
    return lines


def render_ratio_lines(outcomes: list[Outcome]) -> list[str]:
    """Each rate as a sentence: "client_credentials: 813 req/s = 1.80x DOT, 0.55x ceiling"."""
    rates = key_rates(outcomes)
    lines = []
    for o in outcomes:
        if not _good(o) or o.scenario.kind == "hashrate" or o.scenario.key in (DOT, CEILING):
            continue
        unit = "logins/s" if o.scenario.kind == "login" else "req/s"
        parts = [f"{_ratio(ratio_to(o, rates, key))} {label}" for key, label in ((DOT, "DOT"), (CEILING, "ceiling"))]
        if o.scenario.kind == "login" and "hash-n" in rates:
            parts.append(f"{o.rps / rates['hash-n']:.2f}x the Argon2id hash rate ({_rate(rates['hash-n'])}/s)")
        lines.append(f"  {o.scenario.name}: {_rate(o.rps)} {unit} = {', '.join(parts)}")
    return lines


def _git_revision() -> str:
    command = ["git", "-C", str(BENCH_DIR.parent), "rev-parse", "--short", "HEAD"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    return completed.stdout.strip() or "unknown"


def _cpu_model() -> str:
    try:
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                return text_line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", required=True, help="the IAM server")
    parser.add_argument("--dot-url", default="", help="the bare django-oauth-toolkit baseline")
    parser.add_argument("--ceiling-url", default="", help="the framework-less ceiling")
    parser.add_argument("--fixtures", required=True, type=Path, action="append", help="fixtures JSON (repeatable)")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each scenario")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this text")
    parser.add_argument("--server", default="", help="server description for the report header")
    parser.add_argument("--database", default="", help="database description for the report header")
    parser.add_argument("--hash-seconds", type=float, default=3.0, help="seconds per Argon2id hash-rate measurement")
    parser.add_argument("--machine", default="", help="extra machine description for the report header")
    args = parser.parse_args()
    args.urls = {
        "iam": args.base_url.rstrip("/"),
        DOT: args.dot_url.rstrip("/"),
        CEILING: args.ceiling_url.rstrip("/"),
    }
    # SystemExit inside subprocess.run kills the running wrk as well.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    fixtures: dict[str, Any] = {}
    for path in args.fixtures:
        fixtures |= json.loads(path.read_text())
    chosen = [s for s in SCENARIOS if args.only.lower() in s.name.lower()]
    if not chosen:
        print(f"bench: no OAuth scenario matches {args.only!r}", file=sys.stderr)
        return 3  # run.sh goes on when an extra scenario (scim, flows, ...) matches
    # The references always run (every figure is printed with its ratio to them); the hash
    # rate runs whenever the login does.
    wanted = {s.name for s in chosen}
    if any(s.kind == "login" for s in chosen):
        wanted |= {s.name for s in SCENARIOS if s.kind == "hashrate"}
    scenarios = [s for s in SCENARIOS if (s.name in wanted or s.always) and (s.server == "iam" or args.urls[s.server])]

    report = [
        f"# bench {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, git {_git_revision()}",
        f"# host: {os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.2f} (other work on the host skews the figures)",
        f"# server: {args.server or 'unknown'}; database: {args.database or 'unknown'}",
        f"# load: wrk -t{args.threads} -c{args.connections}, {args.warmup} s warm-up + {args.duration} s measured "
        "per scenario, on the same host; login: Python driver, same concurrency and durations",
        *([f"# machine: {args.machine}"] if args.machine else []),
        "",
    ]
    print("\n".join(report), flush=True)
    outcomes = []
    for scenario in scenarios:
        print(f"  running: {scenario.name} ...", flush=True)
        outcomes.append(run_scenario(scenario, args, fixtures))

    report += render_table(outcomes)
    ratio_lines = render_ratio_lines(outcomes)
    if ratio_lines:
        report += ["", "Ratios (same run, same gunicorn settings, same PostgreSQL):", *ratio_lines]
    drift = render_reference_drift(outcomes)
    if drift:
        report += ["", "References measured twice (start and end of the OAuth scenarios):", *drift]
    target_lines = render_targets(outcomes)
    if target_lines:
        report += ["", "Issue 3 targets (reported, not enforced):", *target_lines]
    notes = []
    for o in outcomes:
        notes += o.notes
        if o.failure:
            notes.append(f"FAILED {o.scenario.name}: {o.failure}")
        elif o.mostly_errors:
            notes.append(f"FAILED {o.scenario.name}: {o.non2xx:,} of {o.requests:,} responses were not 2xx")
        elif o.non2xx:
            notes.append(f"warning {o.scenario.name}: {o.non2xx:,} non-2xx responses")
        if o.socket_errors:
            notes.append(f"note {o.scenario.name}: {o.socket_errors:,} socket errors (connect/read/write/timeout)")
        if o.starved:
            notes.append(f"note {o.scenario.name}: {o.starved:,} chained requests had no refresh token left")
    references = list(dict.fromkeys(s.reference for s in scenarios if s.reference))
    if references:
        report += ["", "Reference (published figures, other hardware and tools; for orientation, not a target):"]
        for key in references:
            report += [f"  - {text}" for text in REFERENCES[key]]
    if notes:
        report += ["", *notes]

    print("\n".join(report[report.index("") + 1 :]))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(report) + "\n")
        print(f"\n(written to {args.out})")
    failed = [o for o in outcomes if o.failure or o.mostly_errors]
    if failed:
        print(f"\nbench: {len(failed)} scenario(s) FAILED", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
