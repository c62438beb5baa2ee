"""Application sharing benchmark: share one application with 1,000 organizations in mode (c) (a
different set of roles per organization), then list its shared access.

Targets (issue 8): sharing with 1,000 organizations completes in < 10 s; listing the shared access of
1,000 organizations (``GET /api/server/v1/applications/{id}/share?limit=1000``) answers in < 200 ms.

Seeding writes straight to the database the server uses (a new bench tenant per run, ``--handle``, with
``--orgs`` sub-organizations under a few parents, bulk inserts), so run it with the server's
environment (``DATABASE_URL``, ``IAM_VAR_DIR``...) on a migrated database. Sharing runs through the
service (``application_share``: what the API and the Console call). The listing goes over HTTP to
``--base-url`` when given (a running server), otherwise through Django's in-process test client;
the bearer token is minted through the service layer for the bench tenant's administrator.

    python bench/sharing.py                                   # in-process listing
    python bench/sharing.py --base-url http://127.0.0.1:8000  # listing over a real socket
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARE_TARGET_S = 10.0
LIST_TARGET_MS = 200.0
ROLE_NAMES = ("Viewer", "Editor", "Approver", "Auditor")


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam.settings")
    import django

    django.setup()


def seed(handle: str, orgs: int) -> tuple[Any, Any]:
    """A fresh bench tenant with ``orgs`` sub-organizations (two levels) and an app with four roles."""
    from apps.applications.models import Application
    from apps.applications.services import api_resource_create, application_authorize_api, application_create
    from apps.orgs.models import Organization
    from apps.orgs.services import tenant_create
    from apps.users.services import role_create

    base, n = handle, 1
    while Organization.objects.filter(handle=handle).exists():  # a tenant per run: earlier runs stay as they are
        n += 1
        handle = f"{base}{n}"
    root = tenant_create(actor=None, handle=handle, name="Sharing bench", admin_password="Bench-admin-12345")
    parents = max(1, orgs // 50)
    rows: list[Organization] = []
    level1 = []
    for n in range(parents):
        org_id = uuid.uuid4()
        org = Organization(
            id=org_id,
            handle=f"{handle}-p{n}",
            name=f"Parent {n}",
            parent=root,
            root_id=root.id,
            path=f"{root.path}{org_id.hex}/",
            depth=1,
        )
        level1.append(org)
    rows.extend(level1)
    for n in range(orgs - parents):
        parent = level1[n % parents]
        org_id = uuid.uuid4()
        rows.append(
            Organization(
                id=org_id,
                handle=f"{handle}-c{n}",
                name=f"Customer {n}",
                parent=parent,
                root_id=root.id,
                path=f"{parent.path}{org_id.hex}/",
                depth=2,
            )
        )
    Organization.objects.bulk_create(rows, batch_size=500)
    api = api_resource_create(
        actor=None,
        organization=root,
        name="Bench API",
        identifier=f"https://bench.example.com/{handle}",
        scopes=[{"name": f"{handle}:{verb}"} for verb in ("read", "write", "approve", "audit")],
    )
    application, _secret = application_create(
        actor=None,
        organization=root,
        template_id="oidc-web-application",
        name="Bench app",
        redirect_uris=["https://rp.example.com/callback"],
    )
    scopes = [s.name for s in api.scopes.all()]
    application_authorize_api(actor=None, application=application, api_resource=api, scopes=scopes)
    for name, scope in zip(ROLE_NAMES, sorted(scopes), strict=True):
        role_create(actor=None, organization=root, name=name, permissions=[scope], audience_application=application)
    return root, Application.objects.select_related("organization").get(pk=application.pk)


def share_mode_c(root: Any, application: Any) -> tuple[float, int, int]:
    """Share with every sub-organization, each with its own role subset; (seconds, orgs, roles)."""
    from apps.applications.models import SharedApplication
    from apps.applications.services.sharing import OrgShare, RoleSharingConfig, application_share
    from apps.orgs.models import Organization
    from apps.users.models import Role

    targets = list(Organization.objects.subtree(root, include_self=False).values_list("id", flat=True))
    entries = [
        OrgShare(org_id, "SELECTED_ORG_ONLY", RoleSharingConfig("SELECTED", ROLE_NAMES[: 1 + n % len(ROLE_NAMES)]))
        for n, org_id in enumerate(targets)
    ]
    started = time.perf_counter()
    application_share(actor=None, application=application, organizations=entries)
    elapsed = time.perf_counter() - started
    shared = SharedApplication.objects.filter(application=application).count()
    copies = Role.objects.filter(audience_application=application, shared_from__isnull=False).count()
    return elapsed, shared, copies


def list_shared(root: Any, application: Any, base_url: str, samples: int) -> tuple[list[float], int]:
    from apps.applications.services import access_token_issue
    from apps.applications.system_apis import all_system_scope_names
    from apps.users.models import User

    admin = User.objects.get(organization=root, username="admin")
    token = access_token_issue(application=application, user=admin, scopes=all_system_scope_names())
    path = f"/t/{root.handle}/api/server/v1/applications/{application.uuid}/share?limit=1000"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if base_url:
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        get = lambda: session.get(f"{base_url.rstrip('/')}{path}", timeout=30)  # noqa: E731
        count_of = lambda response: len(response.json()["organizations"])  # noqa: E731
        status_of = lambda response: response.status_code  # noqa: E731
    else:
        from django.test import Client

        client = Client()
        get = lambda: client.get(path, **headers)  # noqa: E731
        count_of = lambda response: len(response.json()["organizations"])  # noqa: E731
        status_of = lambda response: response.status_code  # noqa: E731
    get()  # warm caches and connections
    timings, listed = [], 0
    for _ in range(samples):
        started = time.perf_counter()
        response = get()
        timings.append((time.perf_counter() - started) * 1000)
        if status_of(response) != 200:
            raise SystemExit(f"listing failed: HTTP {status_of(response)}")
        listed = count_of(response)
    return timings, listed


def report(name: str, value: float, unit: str, target: float) -> None:
    verdict = "OK" if value < target else "SLOW"
    print(f"{name:<48} {value:10.1f} {unit:<3} target < {target:g} {unit}  ratio {value / target:5.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=1000, help="sub-organizations to share with (default 1000)")
    parser.add_argument(
        "--handle", default="sharebench", help="handle of the bench tenant (a number is added when taken)"
    )
    parser.add_argument("--base-url", default="", help="list over HTTP against this server (default: in-process)")
    parser.add_argument("--samples", type=int, default=20, help="listing requests to time (default 20)")
    args = parser.parse_args()
    setup_django()
    if not args.base_url:
        from django.conf import settings

        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    started = time.perf_counter()
    root, application = seed(args.handle, args.orgs)
    print(f"seeded {args.orgs} organizations under /t/{root.handle} in {time.perf_counter() - started:.1f} s")
    seconds, shared, copies = share_mode_c(root, application)
    print(f"shared with {shared} organizations, {copies} shared roles created")
    report(f"share with {shared} orgs, mode (c)", seconds, "s", SHARE_TARGET_S)
    timings, listed = list_shared(root, application, args.base_url, args.samples)
    where = "HTTP" if args.base_url else "in-process HTTP stack"
    report(f"list shared access ({listed} orgs, {where}) p50", statistics.median(timings), "ms", LIST_TARGET_MS)
    p95 = sorted(timings)[max(0, int(len(timings) * 0.95) - 1)]
    report(f"list shared access ({listed} orgs, {where}) p95", p95, "ms", LIST_TARGET_MS)
    print(f"listing samples: {len(timings)}, min {min(timings):.1f} ms, max {max(timings):.1f} ms")


if __name__ == "__main__":
    main()
