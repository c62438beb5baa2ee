"""Conditional authentication: what a script adds to a login, measured alone.

The scenario is the login variant with the role-based MFA template: after the
password step the portal runs the script, which calls ``hasAnyOfTheRoles`` on
the signed-in user and asks an administrator for step 2. One measured
execution is ``script_evaluate`` exactly as the portal calls it after step 1:
loading the subject (user, claims, roles, groups: the database reads), taking
an isolate (from the pool, or creating one), evaluating the script, running
``onLoginRequest`` over the journal and closing the isolate off the request's
path. It is reported with the pool (the default) and without it (an isolate
created inside every execution: the full sandbox start-up), next to a trivial
script (``executeStep(1)`` only) as the floor of the sandbox itself.

Runs against a throw-away test database of the configured DATABASE_URL
(SQLite when unset):

    .venv/bin/python bench/scripts.py [iterations=400]

Target (issue 4): < 5 ms p99 per script execution including sandbox start-up.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

TRIVIAL = "var onLoginRequest = function (context) { executeStep(1); };"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(label: str, script: str, user, app, iterations: int) -> tuple[str, float, float, float, float]:
    from apps.authn.scripting import sandbox
    from apps.authn.scripting.bridge import HostContext
    from apps.authn.scripting.engine import journal_step_record, script_evaluate

    sandbox._engine = None  # a fresh pool for each setting
    sandbox.sandbox_warm_up()
    time.sleep(0.2)  # let the pool fill, as a running server's would have
    host = HostContext(organization=user.organization, application=app)
    context = {"request": {"ip": "127.0.0.1", "headers": {}, "params": {}, "cookies": {}}}
    timings: list[float] = []
    cpu_started = 0.0
    for number in range(iterations + 20):
        if number == 20:
            cpu_started = time.process_time()
        state: dict = {}
        journal_step_record(state, step=1, options=None, ok=True, user_id=str(user.pk), authenticator="basic")
        started = time.perf_counter()
        decision = script_evaluate(
            script=script, state=state, steps=[["basic"], ["email_otp"]], host=host, context=context
        )
        elapsed = (time.perf_counter() - started) * 1000
        assert decision.kind in ("step", "done"), decision
        if number >= 20:  # warm-up
            timings.append(elapsed)
        if settings.IAM_SCRIPT_POOL_SIZE:
            time.sleep(0.004)  # a login's other work: the pool refills in the background meanwhile
    cpu_ms = (time.process_time() - cpu_started) * 1000 / iterations  # all threads: V8, loop, pool refill
    return label, statistics.median(timings), percentile(timings, 0.99), max(timings), cpu_ms


def main() -> None:
    import logging

    logging.getLogger("apps.authn.scripting.log").setLevel(logging.WARNING)  # the template's Log.info line
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    from apps.applications.services import application_create
    from apps.authn.scripting.templates import SCRIPT_TEMPLATES
    from apps.orgs.services import tenant_create
    from apps.users.services import role_create, user_create

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        org = tenant_create(actor=None, handle="bench", name="Bench", admin_password="Bench-pass-123456")
        user = user_create(actor=None, organization=org, username="admin-user", password="Bench-pass-123456")
        role_create(actor=None, organization=org, name="admin", user_ids=[user.pk])
        app, _secret = application_create(
            actor=None,
            organization=org,
            template_id="oidc-web-application",
            name="scripted",
            redirect_uris=["https://rp.example.com/cb"],
        )
        role_mfa = SCRIPT_TEMPLATES["role-based-mfa"].code
        rows = []
        pool = settings.IAM_SCRIPT_POOL_SIZE or 2
        for pool_size, suffix in ((pool, f"pool of {pool}"), (0, "no pool: isolate created each time")):
            settings.IAM_SCRIPT_POOL_SIZE = pool_size
            rows.append(measure(f"role-based MFA (hasAnyOfTheRoles), {suffix}", role_mfa, user, app, iterations))
            rows.append(measure(f"trivial executeStep(1), {suffix}", TRIVIAL, user, app, iterations))
        print(
            f"conditional-auth script execution, {iterations} runs each ({connection.vendor}, {os.cpu_count()} CPUs,"
            f" load {open('/proc/loadavg').read().split()[0]})"
        )
        print(f"{'scenario':<66} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'CPU ms':>7}  target p99 < 5 ms")
        for label, p50, p99, top, cpu in rows:
            verdict = "met" if p99 < 5 else "MISSED"
            print(f"{label:<66} {p50:7.2f} {p99:7.2f} {top:7.2f} {cpu:7.2f}  {verdict}")
        print("wall-clock figures include waiting for a CPU: compare them with the load above; CPU ms is the")
        print("process CPU per execution (all threads, pool refills included), independent of other load.")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
