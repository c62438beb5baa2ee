"""Drive a server started with ``make run`` the way a new user would.

Run by ``.ci/run`` after ``make run`` is up (not collected by pytest)::

    python tests/e2e/make_run_check.py http://127.0.0.1:8765 <admin password> <output folder>

Signs in to the Console as the bootstrapped ``admin``, creates a
sub-organization and a user through the pages, finds the user by search,
saves a screenshot, then checks through the management API (HTTP Basic)
that both exist. Exits non-zero on any failure."""

from __future__ import annotations

import base64
import json
import shutil
import sys
import urllib.request
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def api_get(base: str, path: str, password: str) -> dict:
    request = urllib.request.Request(base + path)  # noqa: S310 - loopback URL given by .ci/run
    request.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{password}".encode()).decode())
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.load(response)


def main(base: str, password: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:6]
    org_name, username = f"Smoke Lab {suffix}", f"smoke-{suffix}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        page.set_default_timeout(15_000)
        page.goto(f"{base}/console/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(f"{base}/console/")

        page.goto(f"{base}/console/organizations/new/")
        page.get_by_label("Name").fill(org_name)
        page.get_by_role("button", name="Create").click()
        expect(page.get_by_role("status")).to_contain_text(org_name)

        page.goto(f"{base}/console/users/new/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("First name").fill("Smoke")
        page.get_by_label("Email").fill(f"{username}@example.com")
        page.get_by_role("button", name="Create").click()
        expect(page.get_by_role("status")).to_contain_text(username)

        page.goto(f"{base}/console/users/")
        page.get_by_role("searchbox", name="Search users").fill(username)
        rows = page.locator("#results tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(username)
        page.screenshot(path=str(out / "console.png"), full_page=True)
        browser.close()

    orgs = api_get(base, "/api/server/v1/organizations?filter=name%20eq%20" + org_name.replace(" ", "%20"), password)
    assert [o["name"] for o in orgs["organizations"]] == [org_name], orgs
    users = api_get(base, f"/api/server/v1/users?search={username}", password)
    assert [u["username"] for u in users["users"]] == [username], users
    print(f"make run check passed: created {org_name!r} and {username!r}; screenshot in {out}/console.png")  # noqa: T201


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2], Path(sys.argv[3]))
