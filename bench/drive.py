"""Drive a running server with wrk, one scenario at a time, and print a table.

``bench/run.sh`` starts the server and calls this; it needs no Django. To add
a scenario, append to ``SCENARIOS``: ``{name}`` placeholders in the path,
headers and body are filled from the fixtures JSON that ``bench/prepare.py``
writes (add new fixtures there).

No timing thresholds live here: the harness only fails when a scenario does
not answer with the expected status (preflight) or when most of its
responses under load are not 2xx.
"""

from __future__ import annotations

import argparse
import json
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

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "report.lua"
BEARER = {"Authorization": "Bearer {admin_token}"}
M2M_FORM = {"Authorization": "Basic {m2m_basic}", "Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    expect_status: int = 200  # checked once before the load; under load, non-2xx are counted
    # Key into REFERENCES for a published figure to print beside the table.
    reference: str | None = None


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
    # One cached client lookup, a JWT signature, one INSERT (the target: >= 1,000/s on 2 cores).
    Scenario(
        name="client_credentials JWT token",
        path="/oauth2/token",
        method="POST",
        headers=M2M_FORM,
        body="grant_type=client_credentials&scope=bench:read",
        reference="client-credentials",
    ),
    Scenario(
        name="introspection (JWT access token)",
        path="/oauth2/introspect",
        method="POST",
        headers=M2M_FORM,
        body="token={m2m_token}",
    ),
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
    "management-read": [
        "Ory Hydra 'list clients' (management read): 7,495 req/s; in-memory store, unspecified CI machine, "
        "hey c=100 (Hydra BENCHMARKS.md)",
    ],
}

RESULT_RE = re.compile(r"^BENCH_RESULT (.*)$", re.MULTILINE)


@dataclass
class Outcome:
    scenario: Scenario
    requests: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    non2xx: int = 0
    socket_errors: int = 0
    failure: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def mostly_errors(self) -> bool:
        return self.requests == 0 or self.non2xx * 2 > self.requests


def _fill(template: str, fixtures: dict[str, str]) -> str:
    return template.format(**fixtures)


def _preflight(base_url: str, scenario: Scenario, headers: dict[str, str], body: str) -> str:
    """One request before the load: returns an error text, or "" when the status is as expected."""
    request = urllib.request.Request(
        base_url + scenario.path, method=scenario.method, headers=headers, data=body.encode() or None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read(300).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read(300).decode(errors="replace")
    except OSError as exc:
        return f"preflight request failed: {exc}"
    if status != scenario.expect_status:
        return f"preflight got HTTP {status} (expected {scenario.expect_status}): {text}"
    return ""


def _wrk(
    url: str, headers: dict[str, str], scenario: Scenario, body: str, *, threads: int, connections: int, seconds: int
) -> dict[str, int]:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA_SCRIPT)]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    env = {**os.environ, "BENCH_METHOD": scenario.method, "BENCH_BODY": body}
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    match = RESULT_RE.search(completed.stdout)
    if completed.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed (exit {completed.returncode}): {completed.stderr.strip() or completed.stdout}")
    return {key: int(float(value)) for key, value in (pair.split("=") for pair in match.group(1).split())}


def run_scenario(scenario: Scenario, args: argparse.Namespace, fixtures: dict[str, str]) -> Outcome:
    outcome = Outcome(scenario)
    headers = {name: _fill(value, fixtures) for name, value in scenario.headers.items()}
    body = _fill(scenario.body, fixtures) if scenario.body else ""
    if body and "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    error = _preflight(args.base_url, scenario, headers, body)
    if error:
        outcome.failure = error
        return outcome
    url = args.base_url + scenario.path
    options = {"threads": args.threads, "connections": args.connections}
    try:
        if args.warmup > 0:
            _wrk(url, headers, scenario, body, seconds=args.warmup, **options)
        result = _wrk(url, headers, scenario, body, seconds=args.duration, **options)
    except RuntimeError as exc:
        outcome.failure = str(exc)
        return outcome
    outcome.requests = result["requests"]
    outcome.seconds = result["duration_us"] / 1e6
    outcome.p50_ms = result["p50_us"] / 1000
    outcome.p99_ms = result["p99_us"] / 1000
    outcome.non2xx = result["non2xx"]
    outcome.socket_errors = sum(result[key] for key in ("connect", "read", "write", "timeout"))
    return outcome


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def render_table(outcomes: list[Outcome]) -> list[str]:
    header = ["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx"]
    rows = []
    for o in outcomes:
        if o.failure:
            rows.append([o.scenario.name, "FAILED", "-", "-", "-"])
        else:
            rows.append([o.scenario.name, f"{o.rps:,.0f}", _ms(o.p50_ms), _ms(o.p99_ms), f"{o.non2xx:,}"])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        padded = [cell.ljust(width) if i == 0 else cell.rjust(width) for i, (cell, width) in pairs]
        return "| " + " | ".join(padded) + " |"

    separator = "|" + "|".join("-" * (w + 2) if i == 0 else "-" * (w + 1) + ":" for i, w in enumerate(widths)) + "|"
    return [line(header), separator, *(line(row) for row in rows)]


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
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--fixtures", required=True, type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of unmeasured load before each scenario")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--only", default="", help="run only scenarios whose name contains this text")
    parser.add_argument("--server", default="", help="server description for the report header")
    parser.add_argument("--database", default="", help="database description for the report header")
    args = parser.parse_args()
    args.base_url = args.base_url.rstrip("/")
    # SystemExit inside subprocess.run kills the running wrk as well.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    fixtures = json.loads(args.fixtures.read_text())
    scenarios = [s for s in SCENARIOS if args.only.lower() in s.name.lower()]
    if not scenarios:
        print(f"bench: no scenario matches {args.only!r}", file=sys.stderr)
        return 2

    report = [
        f"# bench {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, git {_git_revision()}",
        f"# host: {os.cpu_count()} CPUs ({_cpu_model()}), Python {platform.python_version()}, "
        f"load average at start {os.getloadavg()[0]:.2f} (other work on the host skews the figures)",
        f"# server: {args.server or 'unknown'}; database: {args.database or 'unknown'}",
        f"# load: wrk -t{args.threads} -c{args.connections}, {args.warmup} s warm-up + {args.duration} s measured "
        "per scenario, on the same host",
        "",
    ]
    print("\n".join(report), flush=True)
    outcomes = []
    for scenario in scenarios:
        print(f"  running: {scenario.name} ...", flush=True)
        outcomes.append(run_scenario(scenario, args, fixtures))

    report += render_table(outcomes)
    notes = []
    for o in outcomes:
        if o.failure:
            notes.append(f"FAILED {o.scenario.name}: {o.failure}")
        elif o.mostly_errors:
            notes.append(f"FAILED {o.scenario.name}: {o.non2xx:,} of {o.requests:,} responses were not 2xx")
        elif o.non2xx:
            notes.append(f"warning {o.scenario.name}: {o.non2xx:,} non-2xx responses")
        if o.socket_errors:
            notes.append(f"note {o.scenario.name}: {o.socket_errors:,} socket errors (connect/read/write/timeout)")
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
