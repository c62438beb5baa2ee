"""Versions (a flow in progress finishes on its version; rollback), drafts, the sandboxed "try it",
and the execution API's rate limit."""

from __future__ import annotations

import pytest

from apps.core.models import OutboxEvent
from apps.flows.models import FlowExecutionContext
from apps.flows.services import (
    FlowError,
    flow_default_steps,
    flow_execute,
    flow_get,
    flow_publish,
    flow_rollback,
    flow_save,
    flow_versions,
)
from apps.notifications.models import Message
from apps.users.models import User
from tests.flows.conftest import STRONG_PASSWORD, C, action_ids, last_code

pytestmark = pytest.mark.django_db


def _without_email_step() -> list[dict]:
    """Version 2: username + email + password, then done (no email code)."""
    steps = flow_default_steps("REGISTRATION")
    steps[0]["data"]["components"][1]["components"][-1]["action"]["next"] = "END"
    return [steps[0], steps[2]]


def _basic_inputs(name: str) -> dict[str, str]:
    return {C + "username": name, C + "emailaddress": f"{name}@example.org", "password": STRONG_PASSWORD}


def test_flow_in_progress_on_v1_completes_after_v2_is_published_and_rollback_works(flows_enabled, admin_user, execute):
    flow_save(
        actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION", steps=flow_default_steps("REGISTRATION")
    )
    assert flow_publish(actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION") == 1

    v1_first = execute.start("REGISTRATION")
    v1_code_view = execute.submit(v1_first, "registration-continue", _basic_inputs("early")).json()
    assert "registration-verify" in action_ids(v1_code_view)

    flow_save(actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION", steps=_without_email_step())
    assert flow_publish(actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION") == 2

    # The v1 flow still asks for (and accepts) its code.
    done = execute.submit(v1_code_view, "registration-verify", {"otp": last_code("early@example.org")}).json()
    assert done["flowStatus"] == "COMPLETE"
    assert FlowExecutionContext.objects.get(pk=v1_first["flowId"]).version == 1
    # A new flow runs v2: one step.
    v2 = execute.submit(execute.start("REGISTRATION"), "registration-continue", _basic_inputs("late")).json()
    assert v2["flowStatus"] == "COMPLETE"
    assert User.objects.filter(username__in=["early", "late"]).count() == 2

    assert flow_rollback(actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION", version=1) == 3
    versions = flow_versions(flows_enabled, "REGISTRATION")
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert versions[0]["steps"] == versions[2]["steps"]
    assert versions[0]["source"] == "rollback:1"
    again = execute.submit(execute.start("REGISTRATION"), "registration-continue", _basic_inputs("third")).json()
    assert "registration-verify" in action_ids(again)
    with pytest.raises(FlowError) as missing:
        flow_rollback(actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION", version=9)
    assert missing.value.code == "FM-10015"
    assert missing.value.status == 404


def test_draft_is_not_live_until_published(flows_enabled, admin_user, execute):
    flow_save(actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION", steps=_without_email_step())
    assert flow_get(flows_enabled, "REGISTRATION")["isDefault"] is True
    assert flow_get(flows_enabled, "REGISTRATION", draft=True)["isDraft"] is True
    live = execute.submit(execute.start("REGISTRATION"), "registration-continue", _basic_inputs("d1")).json()
    assert "registration-verify" in action_ids(live)  # still the default with the email step
    with pytest.raises(FlowError) as invalid:
        flow_save(
            actor=admin_user, organization=flows_enabled, flow_type="REGISTRATION", steps=[{"id": "x", "type": "VIEW"}]
        )
    assert invalid.value.code == "RFM-60003"
    assert invalid.value.errors


def test_sandbox_runs_the_draft_without_side_effects(root_org, admin_user):
    flow_save(
        actor=admin_user, organization=root_org, flow_type="REGISTRATION", steps=flow_default_steps("REGISTRATION")
    )
    events_before, messages_before = OutboxEvent.objects.count(), Message.objects.count()
    first = flow_execute(organization=root_org, data={"flowType": "REGISTRATION"}, sandbox=True)  # type disabled: fine
    code_view = flow_execute(
        organization=root_org,
        data={"flowId": first["flowId"], "actionId": "registration-continue", "inputs": _basic_inputs("ghost")},
        sandbox=True,
    )
    sent = code_view["data"]["additionalData"]["sandboxMessages"]
    assert sent[0]["recipient"] == "ghost@example.org"
    assert sent[0]["template"] == "email_otp"
    done = flow_execute(
        organization=root_org,
        data={"flowId": first["flowId"], "actionId": "registration-verify", "inputs": {"otp": sent[0]["otp"]}},
        sandbox=True,
    )
    assert done["flowStatus"] == "COMPLETE"
    assert done["data"]["additionalData"]["sandbox"] is True
    assert "userAssertion" not in done["data"]["additionalData"]
    assert not User.objects.filter(username="ghost").exists()
    assert Message.objects.count() == messages_before
    assert OutboxEvent.objects.count() == events_before
    # A sandbox flow cannot be continued through the public API.
    with pytest.raises(FlowError) as public:
        flow_execute(organization=root_org, data={"flowId": first["flowId"], "actionId": "x"})
    assert public.value.code == "FE-60001"


def test_execute_is_rate_limited_per_ip(flows_enabled, execute, settings):
    settings.IAM_FLOW_EXECUTE_RATE_PER_IP = (3, 60)
    for _ in range(3):
        assert execute.call({"flowType": "REGISTRATION"}).status_code == 200
    limited = execute.call({"flowType": "REGISTRATION"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "FE-60011"
    assert int(limited["Retry-After"]) >= 1


def test_flows_of_one_tenant_do_not_continue_in_another(flows_enabled, other_tenant, execute):
    first = execute.start("REGISTRATION")
    from tests.flows.conftest import Executor

    other = Executor(prefix="/t/acme")
    response = other.call({"flowId": first["flowId"], "actionId": "registration-continue", "inputs": {}})
    assert response.status_code == 400
    assert response.json()["code"] == "FE-60001"


def test_expired_contexts_are_swept(flows_enabled, execute):
    from datetime import timedelta

    from django.utils import timezone

    from apps.flows.tasks import flow_contexts_sweep

    old = execute.start("REGISTRATION")
    fresh = execute.start("REGISTRATION")
    FlowExecutionContext.objects.filter(pk=old["flowId"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert flow_contexts_sweep() == 1
    assert [str(pk) for pk in FlowExecutionContext.objects.values_list("pk", flat=True)] == [fresh["flowId"]]
