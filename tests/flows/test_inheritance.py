"""Flows down the organization tree (issue 8): enablement, completion options and the published flow
resolve through the one inheritance service. Root → Alpha (depth 1) → Alpha One (depth 2)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.flows.services import flow_default_steps, flow_replace
from apps.orgs.inheritance import _cache
from apps.orgs.services import organization_create
from apps.users.models import User
from tests.flows.conftest import STRONG_PASSWORD, C, Executor, last_code

pytestmark = pytest.mark.django_db
FLOW = "/api/server/v1/flow"


def _steps(heading: str) -> list[dict[str, Any]]:
    steps = flow_default_steps("REGISTRATION")
    _heading(steps)["config"]["text"] = heading
    return steps


def _heading(steps: list[dict[str, Any]]) -> dict[str, Any]:
    from apps.flows.plan import walk

    for step in steps:
        for item in walk(step["data"].get("components") or []):
            if item["id"] == "registration-heading":
                return item
    raise KeyError("registration-heading")


def _shown_heading(response: dict[str, Any]) -> str:
    """The heading text the registration page shows (what a user reads first)."""
    return _heading([{"data": response["data"]}])["config"]["text"]


@pytest.fixture
def branch(root_org):
    alpha = organization_create(actor=None, parent=root_org, name="Alpha", handle="alpha")
    alpha_one = organization_create(actor=None, parent=alpha, name="Alpha One", handle="alpha-one")
    return alpha, alpha_one


def _prefix(org) -> str:
    return f"/t/root/o/{org.id}"


def test_root_flow_runs_at_depth_2_until_depth_1_overrides_and_delete_reverts(root_org, branch, admin_api):
    alpha, alpha_one = branch
    deep = Executor(prefix=_prefix(alpha_one))

    # Nothing enabled yet: the sub-organization cannot register either.
    assert deep.call({"flowType": "REGISTRATION"}).json()["code"] == "FE-60006"

    # The root enables REGISTRATION and publishes its own flow.
    enabled = admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    assert enabled.status_code == 200, enabled.json()
    assert "inheritedFrom" not in enabled.json()
    put = admin_api.put(FLOW, {"flowType": "REGISTRATION", "steps": _steps("Join Root")}, format="json")
    assert put.status_code == 201, put.json()

    # Depth 2 runs the root's flow, end to end, and the account lands in depth 2.
    first = deep.start("REGISTRATION")
    assert _shown_heading(first) == "Join Root"
    step2 = deep.submit(
        first,
        "registration-continue",
        {C + "username": "deepuser", C + "emailaddress": "deep@example.org", "password": STRONG_PASSWORD},
    )
    assert step2.status_code == 200, step2.json()
    done = deep.submit(step2.json(), "registration-verify", {"otp": last_code("deep@example.org")})
    assert done.json()["flowStatus"] == "COMPLETE", done.json()
    assert User.objects.get(username="deepuser").organization_id == alpha_one.id

    # Where the values come from.
    config = admin_api.get(_prefix(alpha_one) + f"{FLOW}/config", {"flowType": "REGISTRATION"}).json()
    assert config["isEnabled"] is True
    assert config["inheritedFrom"] == str(root_org.id)
    assert "inheritedFrom" not in admin_api.get(f"{FLOW}/config", {"flowType": "REGISTRATION"}).json()
    listed = admin_api.get(_prefix(alpha_one) + f"{FLOW}/configs").json()
    assert {c["flowType"]: c.get("inheritedFrom") for c in listed}["REGISTRATION"] == str(root_org.id)

    # Depth 1 publishes its own flow: depth 1 and depth 2 follow it, the root keeps its own.
    own = admin_api.put(
        _prefix(alpha) + FLOW, {"flowType": "REGISTRATION", "steps": _steps("Join Alpha")}, format="json"
    )
    assert own.status_code == 201, own.json()
    assert _shown_heading(deep.start("REGISTRATION")) == "Join Alpha"
    assert _shown_heading(Executor(prefix=_prefix(alpha)).start("REGISTRATION")) == "Join Alpha"
    assert _shown_heading(Executor().start("REGISTRATION")) == "Join Root"

    # DELETE at depth 1: depth 1 and depth 2 run the root's flow again.
    assert admin_api.delete(_prefix(alpha) + FLOW + "?flowType=REGISTRATION").status_code == 204
    assert _shown_heading(deep.start("REGISTRATION")) == "Join Root"
    assert _shown_heading(Executor(prefix=_prefix(alpha)).start("REGISTRATION")) == "Join Root"


def test_depth_1_config_override_reaches_depth_2_and_revert_restores_the_root(root_org, branch, admin_api):
    alpha, alpha_one = branch
    admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    deep = Executor(prefix=_prefix(alpha_one))
    assert deep.call({"flowType": "REGISTRATION"}).status_code == 200

    # Depth 1 turns registration off: depth 2 follows it, the root is untouched.
    off = admin_api.patch(
        _prefix(alpha) + f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": False}, format="json"
    )
    assert off.status_code == 200, off.json()
    assert deep.call({"flowType": "REGISTRATION"}).json()["code"] == "FE-60006"
    assert Executor().call({"flowType": "REGISTRATION"}).status_code == 200
    config = admin_api.get(_prefix(alpha_one) + f"{FLOW}/config", {"flowType": "REGISTRATION"}).json()
    assert (config["isEnabled"], config["inheritedFrom"]) == (False, str(alpha.id))

    # Revert at depth 1: the root's config applies again below it.
    reverted = admin_api.delete(_prefix(alpha) + f"{FLOW}/config?flowType=REGISTRATION")
    assert reverted.status_code == 200, reverted.json()
    assert reverted.json()["inheritedFrom"] == str(root_org.id)
    assert deep.call({"flowType": "REGISTRATION"}).status_code == 200


def test_a_publish_elsewhere_is_seen_by_a_process_that_cached_the_old_flow(root_org, branch, admin_api):
    _alpha, alpha_one = branch
    admin_api.patch(f"{FLOW}/config", {"flowType": "REGISTRATION", "isEnabled": True}, format="json")
    deep = Executor(prefix=_prefix(alpha_one))
    shipped = _heading(flow_default_steps("REGISTRATION"))["config"]["text"]
    assert _shown_heading(deep.start("REGISTRATION")) == shipped
    assert (alpha_one.pk, "flows") in _cache._entries
    cached = dict(_cache._entries)

    flow_replace(actor=None, organization=root_org, flow_type="REGISTRATION", steps=_steps("Join Root v1"))
    _cache._entries.update(cached)  # as if the publish had happened in another process
    assert _shown_heading(deep.start("REGISTRATION")) == "Join Root v1"
