"""Bench fixtures: migrate, collectstatic, bootstrap, seed data and mint credentials.

Run by ``bench/run.sh`` with the bench environment (``DATABASE_URL``,
``IAM_ENV=production``, ...) already exported. Idempotent, so it also works
against a database that was not reset. Writes the values that scenarios refer
to (``{admin_token}``, ...) as JSON to ``--out``:

* ``admin_token``: a bearer token for the management API;
* ``m2m_basic``, ``m2m_token``: a machine-to-machine client (client_credentials)
  and one of its JWT access tokens (to introspect; the ceiling copies its claims);
* ``web_*``, ``login_usernames``, ``login_password``: a confidential "Standard
  OIDC application" (code + PKCE, refresh rotation on, the template's defaults)
  and users with an Argon2id password, for the browser login;
* ``refresh_seeds``: refresh tokens of that application from real code
  exchanges, spread over the login users, that start the refresh_token chains.

A scenario that needs new data adds it here and a key to ``fixtures``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_USERS = 200
BENCH_SUB_ORGANIZATIONS = 20
BENCH_CLIENT_NAME = "bench-client"
BENCH_M2M_NAME = "bench-m2m"
BENCH_WEB_NAME = "bench-web"
BENCH_WEB_REDIRECT = "https://rp.bench.example.org/callback"
BENCH_WEB_SCOPE = "openid profile bench:read"
BENCH_LOGIN_USERS = 8
BENCH_LOGIN_ROLE = "bench-login"
BENCH_REFRESH_SEEDS = 80
BENCH_API_IDENTIFIER = "https://bench.example.org/api"
BENCH_API_SCOPES = ("bench:read", "bench:write")
TOKEN_LIFETIME_SECONDS = 3600


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iam.settings")
    import django

    django.setup()


def _seed_users(root: object, count: int) -> int:
    from apps.users.models import User
    from apps.users.services import user_create

    bench_users = User.objects.for_org(root).filter(username__startswith="bench-user-")
    existing = set(bench_users.values_list("username", flat=True))
    created = 0
    for i in range(count):
        username = f"bench-user-{i:04d}"
        if username in existing:
            continue
        # No password: hashing 200 Argon2id passwords would only slow the setup.
        user_create(
            actor=None,
            organization=root,
            username=username,
            email=f"{username}@bench.example.org",
            given_name="Bench",
            family_name=f"User {i:04d}",
        )
        created += 1
    return created


def _seed_sub_organizations(root: object, count: int) -> int:
    from apps.orgs.models import Organization
    from apps.orgs.services import organization_create

    existing = set(Organization.objects.filter(parent=root).values_list("name", flat=True))
    created = 0
    for i in range(count):
        name = f"Bench Org {i:03d}"
        if name in existing:
            continue
        organization_create(actor=None, parent=root, name=name, handle=f"bench-org-{i:03d}")
        created += 1
    return created


def _admin_token(root: object) -> str:
    from apps.applications.models import Application
    from apps.applications.services import access_token_issue
    from apps.applications.system_apis import all_system_scope_names
    from apps.users.models import User

    admin = User.objects.for_org(root).get(username="admin")
    application, _ = Application.objects.get_or_create(
        organization=root,
        name=BENCH_CLIENT_NAME,
        defaults={
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_CLIENT_CREDENTIALS,
        },
    )
    return access_token_issue(
        application=application, user=admin, scopes=all_system_scope_names(), expires_in=TOKEN_LIFETIME_SECONDS
    )


def _oauth_m2m_client(root: object) -> dict[str, str]:
    """A confidential machine-to-machine application authorized for a business API, with a fresh
    known secret (regenerated on every run), and one client_credentials token to introspect."""
    import base64

    from django.test import Client

    from apps.applications.models import APIResource, Application
    from apps.applications.services import (
        api_resource_create,
        application_authorize_api,
        application_create,
        application_regenerate_secret,
    )

    resource = APIResource.objects.filter(organization=root, identifier=BENCH_API_IDENTIFIER).first()
    if resource is None:
        resource = api_resource_create(
            actor=None,
            organization=root,
            name="Bench API",
            identifier=BENCH_API_IDENTIFIER,
            scopes=[{"name": name} for name in BENCH_API_SCOPES],
        )
    application = Application.objects.filter(organization=root, name=BENCH_M2M_NAME).first()
    if application is None:
        application, secret = application_create(
            actor=None, organization=root, template_id="m2m-application", name=BENCH_M2M_NAME
        )
        application_authorize_api(
            actor=None, application=application, api_resource=resource, scopes=list(BENCH_API_SCOPES)
        )
    else:
        secret = application_regenerate_secret(actor=None, application=application)
    basic = base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()
    # One token through the real endpoint, in process (the server is not up yet).
    response = Client(HTTP_HOST="127.0.0.1").post(
        "/oauth2/token",
        "grant_type=client_credentials&scope=bench:read",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    if response.status_code != 200:
        raise RuntimeError(f"prepare: the token endpoint answered {response.status_code}: {response.content[:300]!r}")
    return {"m2m_basic": basic, "m2m_token": response.json()["access_token"]}


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _web_client(root: object) -> tuple[object, str]:
    """A confidential "Standard OIDC application" (code + PKCE, refresh rotation on: the
    template's defaults) authorized for the bench API, with a fresh known secret."""
    import base64

    from apps.applications.models import APIResource, Application
    from apps.applications.services import application_authorize_api, application_create, application_regenerate_secret

    application = Application.objects.filter(organization=root, name=BENCH_WEB_NAME).first()
    if application is None:
        application, secret = application_create(
            actor=None,
            organization=root,
            template_id="oidc-web-application",
            name=BENCH_WEB_NAME,
            redirect_uris=[BENCH_WEB_REDIRECT],
        )
        resource = APIResource.objects.get(organization=root, identifier=BENCH_API_IDENTIFIER)
        application_authorize_api(actor=None, application=application, api_resource=resource, scopes=["bench:read"])
        application.refresh_from_db()
    else:
        secret = application_regenerate_secret(actor=None, application=application)
    if not application.refresh_rotation:
        raise RuntimeError("prepare: the bench web application was expected to rotate refresh tokens")
    return application, base64.b64encode(f"{application.client_id}:{secret}".encode()).decode()


def _login_users(root: object, count: int) -> tuple[list[object], str]:
    """Users with a (new, random) Argon2id password and a role holding bench:read."""
    import secrets

    from apps.users.models import Role, User
    from apps.users.services import role_create, user_create, user_set_password

    password = secrets.token_urlsafe(18)
    users = []
    for i in range(count):
        username = f"bench-login-{i:02d}"
        user = User.objects.for_org(root).filter(username=username).first()
        if user is None:
            user = user_create(actor=None, organization=root, username=username, password=password)
        else:
            user_set_password(actor=None, user=user, password=password)
            user.refresh_from_db()  # the new hash, or a forced session would not be valid
        users.append(user)
    if not Role.objects.filter(organization=root, name=BENCH_LOGIN_ROLE).exists():
        role_create(
            actor=None,
            organization=root,
            name=BENCH_LOGIN_ROLE,
            permissions=["bench:read"],
            user_ids=[user.pk for user in users],
        )
    return users, password


def _refresh_seeds(users: list[object], client_id: str, basic: str, count: int) -> list[str]:
    """``count`` refresh tokens, each from a real code + PKCE exchange through the endpoints,
    spread round-robin over ``users`` (in process; their sessions are forced, so no password
    hash is spent here)."""
    import hashlib
    import secrets
    from urllib.parse import parse_qs, urlencode, urlsplit

    from django.test import Client

    browsers = []
    for user in users:
        browser = Client(HTTP_HOST="127.0.0.1")
        browser.force_login(user)
        browsers.append(browser)
    backend = Client(HTTP_HOST="127.0.0.1")
    seeds = []
    for i in range(count):
        verifier = secrets.token_urlsafe(48)
        response = browsers[i % len(browsers)].get(
            "/oauth2/authorize",
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": BENCH_WEB_REDIRECT,
                "scope": BENCH_WEB_SCOPE,
                "state": secrets.token_urlsafe(8),
                "code_challenge": _b64url(hashlib.sha256(verifier.encode()).digest()),
                "code_challenge_method": "S256",
            },
        )
        location = response.get("Location", "")
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        if response.status_code != 302 or not code:
            raise RuntimeError(f"prepare: authorize answered {response.status_code} {location[:200]!r}")
        response = backend.post(
            "/oauth2/token",
            urlencode(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": BENCH_WEB_REDIRECT,
                    "code_verifier": verifier,
                }
            ),
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        if response.status_code != 200 or "refresh_token" not in response.json():
            raise RuntimeError(f"prepare: code exchange answered {response.status_code}: {response.content[:300]!r}")
        seeds.append(response.json()["refresh_token"])
    return seeds


def _oauth_web_fixtures(root: object, refresh_seeds: int) -> dict[str, object]:
    application, basic = _web_client(root)
    users, password = _login_users(root, BENCH_LOGIN_USERS)
    return {
        "web_client_id": application.client_id,
        "web_basic": basic,
        "web_redirect_uri": BENCH_WEB_REDIRECT,
        "web_scope": BENCH_WEB_SCOPE,
        "login_usernames": [user.username for user in users],
        "login_password": password,
        "refresh_seeds": _refresh_seeds(users, application.client_id, basic, refresh_seeds),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", required=True, help="where to write the fixtures JSON")
    parser.add_argument("--users", type=int, default=BENCH_USERS)
    parser.add_argument("--organizations", type=int, default=BENCH_SUB_ORGANIZATIONS)
    parser.add_argument(
        "--refresh-seeds",
        type=int,
        default=BENCH_REFRESH_SEEDS,
        help="refresh tokens to start the refresh_token chains with (bench/drive.py says how many it needs)",
    )
    args = parser.parse_args()

    started = time.monotonic()
    _setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from apps.orgs.selectors import organization_get_root_by_handle

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("iam_bootstrap", stdout=io.StringIO())
    root = organization_get_root_by_handle(handle=settings.IAM_DEFAULT_ROOT_HANDLE)
    if root is None:
        print("prepare: iam_bootstrap did not create the root organization", file=sys.stderr)
        return 1
    users = _seed_users(root, args.users)
    organizations = _seed_sub_organizations(root, args.organizations)
    fixtures = {
        "admin_token": _admin_token(root),
        "root_handle": root.handle,
        **_oauth_m2m_client(root),
        **_oauth_web_fixtures(root, args.refresh_seeds),
    }

    out = Path(args.out)
    out.touch(mode=0o600)
    out.write_text(json.dumps(fixtures))
    print(
        f"prepare: migrated, static collected, bootstrapped, +{users} users, +{organizations} sub-organizations, "
        f"token minted, M2M client ready, web client with {len(fixtures['login_usernames'])} login users and "
        f"{len(fixtures['refresh_seeds'])} refresh tokens ({time.monotonic() - started:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
