"""The OpenAPI schema is generated from the code and checked in; this fails when they drift.

Regenerate with ``make schema`` after changing an API."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command


def test_checked_in_schema_matches_the_code(tmp_path: Path) -> None:
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    checked_in = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"
    assert checked_in.read_text() == generated.read_text(), "docs/openapi.yaml is stale: run `make schema`"


def test_schema_is_served(client, root_org) -> None:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/server/v1/organizations" in response.content
