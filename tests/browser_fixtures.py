"""Browser tests: Playwright's sync API driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; the test's own ORM
# calls (bootstrap, assertions) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
E2E_ADMIN_PASSWORD = "E2e-admin-pass-123"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed; browser tests must run in CI (apt-get install chromium).")
        pytest.skip("Chromium is not installed (set CI=1 to make this a failure).")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _is_form_rerender(response: Any) -> bool:
    """A form posted with mistakes comes back as 400 with inline errors, by design."""
    request = response.request
    return response.status == 400 and request.method == "POST" and request.resource_type == "document"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context. The test fails on any script error, CSP violation (reported on
    the console) or unexpected HTTP error response."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []

    def on_console(message: Any) -> None:
        # HTTP errors are reported with their URL by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Any) -> None:
        if response.status >= 400 and not _is_form_rerender(response):
            errors.append(f"{response.status} {response.request.method} {response.url}")

    page.on("console", on_console)
    page.on("response", on_response)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"browser errors: {errors}"


@pytest.fixture
def bootstrapped(transactional_db: Any, settings: Any) -> None:
    """The root organization and admin exactly as ``make run`` creates them."""
    from django.core.management import call_command

    settings.IAM_ADMIN_PASSWORD = E2E_ADMIN_PASSWORD
    call_command("iam_bootstrap", stdout=io.StringIO())


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """``test-results/<test name>/`` for screenshots."""
    folder = Path(request.config.rootpath) / "test-results" / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
