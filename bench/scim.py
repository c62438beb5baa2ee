"""SCIM benchmark: POST /Users (Argon2id), filtered GET /Users on many users, PATCH group membership
on a large vs a small group, and a Bulk of user creations. Prints each figure with its target.

Seeding (``--seed``) writes straight to the database the server uses (bulk inserts through the
ORM, one shared Argon2id hash), so it must run with the server's environment (``DATABASE_URL``,
``IAM_VAR_DIR``...). Everything measured goes over HTTP to ``--base-url``.

    python bench/scim.py --base-url http://127.0.0.1:8000/t/root --token <admin bearer> --seed --users 100000
    python bench/scim.py --base-url http://127.0.0.1:8000/t/root --basic admin:Admin-pass-123 --users 5000 --seed
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
SEED_PREFIX = "scimbench-"
BIG_GROUP, SMALL_GROUP = "scimbench-big", "scimbench-small"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
PASSWORD = "Bench-pass-12345"


# --- seeding (direct database access) -------------------------------------------------------


def seed(handle: str, users: int, big_group: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password

    from apps.orgs.models import Organization
    from apps.users.models import Group, User

    org = Organization.objects.get(handle=handle, parent__isnull=True)
    existing = User.objects.for_org(org).filter(username__startswith=SEED_PREFIX).count()
    password = make_password(PASSWORD)
    started = time.perf_counter()
    batch: list[Any] = []
    for n in range(existing, users):
        batch.append(
            User(
                organization=org,
                username=f"{SEED_PREFIX}{n:07d}",
                email=f"bench{n:07d}@example.org",
                given_name=f"Given{n}",
                family_name=f"Family{n}",
                password=password,
            )
        )
        if len(batch) == 5000:
            User.objects.bulk_create(batch)
            batch = []
    if batch:
        User.objects.bulk_create(batch)
    through = Group.members.through
    for name, size in ((BIG_GROUP, big_group), (SMALL_GROUP, 10)):
        group, _ = Group.objects.get_or_create(organization=org, name=name)
        have = through.objects.filter(group=group).count()
        if have < size:
            ids = list(
                User.objects.for_org(org)
                .filter(username__startswith=SEED_PREFIX)
                .order_by("username")
                .values_list("pk", flat=True)[have:size]
            )
            for start in range(0, len(ids), 5000):
                through.objects.bulk_create(
                    [through(group_id=group.pk, user_id=pk) for pk in ids[start : start + 5000]], ignore_conflicts=True
                )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE users_user")
            cursor.execute("ANALYZE users_group_members")
    print(f"seeded {users - existing} users (now {users}) in {time.perf_counter() - started:.1f} s")


# --- measuring (HTTP) ----------------------------------------------------------------------------


class Scim:
    def __init__(self, base_url: str, authorization: str) -> None:
        self.base = base_url.rstrip("/") + "/scim2"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": authorization, "Content-Type": "application/scim+json"})

    def call(self, method: str, path: str, **kw: Any) -> tuple[float, requests.Response]:
        started = time.perf_counter()
        response = self.session.request(method, self.base + path, timeout=600, **kw)
        return (time.perf_counter() - started) * 1000, response


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(name: str, value: float, unit: str, target: str, ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  [meets target]" if ok else "  [MISSES target]")
    print(f"{name:<48} {value:>10.1f} {unit:<8} target: {target}{verdict}")


def expect(response: requests.Response, *codes: int) -> requests.Response:
    if response.status_code not in codes:
        raise SystemExit(f"unexpected {response.status_code}: {response.text[:500]}")
    return response


def bench_create(scim: Scim, count: int) -> None:
    timings = []
    run = uuid.uuid4().hex[:8]
    for n in range(count):
        body = {"schemas": [USER_SCHEMA], "userName": f"post-{run}-{n}", "password": PASSWORD}
        ms, response = scim.call("POST", "/Users", json=body)
        expect(response, 201)
        timings.append(ms)
    rate = 1000 / statistics.mean(timings)
    report("POST /Users with Argon2id password (1 client)", rate, "users/s", "reported (hash-bound)")
    report("  POST /Users p50", percentile(timings, 50), "ms", "reported")


def bench_filters(scim: Scim, users: int, samples: int) -> None:
    for label, make in (
        ("emails.value eq", lambda n: f'emails.value eq "bench{n:07d}@example.org"'),
        ("userName co", lambda n: f'userName co "{n:07d}"'),
    ):
        timings = []
        for _ in range(samples):
            n = random.randrange(users)
            ms, response = scim.call("GET", "/Users", params={"filter": make(n), "count": 10})
            expect(response, 200)
            if response.json()["totalResults"] < 1:
                raise SystemExit(f"{label}: no match for {make(n)}")
            timings.append(ms)
        p99 = percentile(timings, 99)
        report(f"GET /Users {label} on {users:,} users p50", percentile(timings, 50), "ms", "reported")
        report(f"GET /Users {label} on {users:,} users p99", p99, "ms", "< 50 ms", p99 < 50)


def _group_id(scim: Scim, name: str) -> str:
    _, response = scim.call(
        "GET", "/Groups", params={"filter": f'displayName eq "{name}"', "excludedAttributes": "members"}
    )
    resources = expect(response, 200).json()["Resources"]
    if not resources:
        raise SystemExit(f"group {name} not found: run with --seed")
    return resources[0]["id"]


def bench_membership(scim: Scim, samples: int) -> None:
    fresh = []
    for _ in range(samples * 2):
        _, response = scim.call("POST", "/Users", json={"schemas": [USER_SCHEMA], "userName": f"m-{uuid.uuid4().hex}"})
        fresh.append(expect(response, 201).json()["id"])
    results = {}
    for name in (SMALL_GROUP, BIG_GROUP):
        group_id = _group_id(scim, name)
        timings = []
        for _ in range(samples):
            op = {"op": "add", "path": "members", "value": [{"value": fresh.pop()}]}
            ms, response = scim.call("PATCH", f"/Groups/{group_id}", json={"schemas": [PATCH_OP], "Operations": [op]})
            expect(response, 200, 204)
            timings.append(ms)
        results[name] = percentile(timings, 50)
    report("PATCH add member, 10-member group p50", results[SMALL_GROUP], "ms", "reported")
    report("PATCH add member, large group p50", results[BIG_GROUP], "ms", "reported")
    ratio = results[BIG_GROUP] / results[SMALL_GROUP]
    report("  large / small", ratio, "x", "~1 (same cost)", ratio < 1.5)


def bench_bulk(scim: Scim, operations: int, with_passwords: bool) -> None:
    run = uuid.uuid4().hex[:8]
    ops = []
    for n in range(operations):
        data: dict[str, Any] = {"schemas": [USER_SCHEMA], "userName": f"bulk-{run}-{n}"}
        if with_passwords:
            data["password"] = PASSWORD
        ops.append({"method": "POST", "path": "/Users", "bulkId": f"u{n}", "data": data})
    ms, response = scim.call("POST", "/Bulk", json={"schemas": [BULK_REQUEST], "Operations": ops})
    body = expect(response, 200).json()
    failed = [op for op in body["Operations"] if op["status"] != "201"]
    if failed:
        raise SystemExit(f"bulk: {len(failed)} operations failed, e.g. {failed[0]}")
    label = f"Bulk {operations:,} user creations{' (with passwords)' if with_passwords else ''}"
    report(label, ms / 1000, "s", "< 30 s", ms / 1000 < 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/t/root", help="tenant URL (…/t/<handle>)")
    parser.add_argument("--token", help="admin bearer token")
    parser.add_argument("--basic", help="user:password for HTTP Basic instead of a token")
    parser.add_argument("--seed", action="store_true", help="insert the users and groups first (database access)")
    parser.add_argument("--handle", default=None, help="tenant handle for --seed (default: from --base-url)")
    parser.add_argument("--users", type=int, default=100_000, help="users to query over (default 100000)")
    parser.add_argument("--big-group", type=int, default=10_000, help="members of the large group (default 10000)")
    parser.add_argument("--samples", type=int, default=200, help="requests per filter/PATCH scenario")
    parser.add_argument("--creates", type=int, default=20, help="POST /Users requests (each hashes a password)")
    parser.add_argument("--bulk", type=int, default=1000, help="operations in the Bulk request")
    parser.add_argument("--bulk-passwords", action="store_true", help="give every bulk-created user a password")
    args = parser.parse_args()
    if not args.token and not args.basic:
        parser.error("give --token or --basic")
    authorization = f"Bearer {args.token}" if args.token else "Basic " + base64.b64encode(args.basic.encode()).decode()
    if args.seed:
        handle = args.handle or args.base_url.rstrip("/").rsplit("/t/", 1)[-1].split("/")[0]
        seed(handle, args.users, args.big_group)
    scim = Scim(args.base_url, authorization)
    print(f"SCIM benchmark against {scim.base}")
    bench_create(scim, args.creates)
    bench_filters(scim, args.users, args.samples)
    bench_membership(scim, min(args.samples, 50))
    bench_bulk(scim, args.bulk, args.bulk_passwords)


if __name__ == "__main__":
    main()
