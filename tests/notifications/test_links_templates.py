"""Link tokens (tamper, replay, expiry, purpose) and templates (render, locale fallback,
invalid placeholders and syntax rejected on save)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from apps.core.errors import InvalidInput, NotFound
from apps.notifications.models import LinkToken
from apps.notifications.services import (
    LinkRejected,
    link_consume,
    link_issue,
    notification_send,
    template_reset,
    template_resolve,
    template_save,
)
from tests.notifications.conftest import sealed_text


@pytest.mark.django_db
def test_link_is_single_use_and_bound_to_its_purpose(alice):
    token = link_issue(user=alice, purpose="password_reset")
    row = LinkToken.objects.get()
    assert token.split(".", 1)[1] not in row.secret_hash
    with pytest.raises(LinkRejected) as wrong_purpose:
        link_consume(token=token, purpose="email_verification")
    assert wrong_purpose.value.reason == "invalid"
    assert link_consume(token=token, purpose="password_reset") == alice
    with pytest.raises(LinkRejected) as replay:
        link_consume(token=token, purpose="password_reset")
    assert replay.value.reason == "used"


@pytest.mark.django_db
def test_tampered_expired_and_superseded_links_are_rejected(alice):
    token = link_issue(user=alice, purpose="password_reset", ttl=60)
    head, secret = token.split(".", 1)
    tampered = f"{head}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}"
    for bad in (tampered, "garbage", f"{'0' * 32}.{secret}", ""):
        with pytest.raises(LinkRejected):
            link_consume(token=bad, purpose="password_reset")
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(seconds=61)):
        with pytest.raises(LinkRejected) as expired:
            link_consume(token=token, purpose="password_reset")
    assert expired.value.reason == "expired"

    old = link_issue(user=alice, purpose="magic")
    new = link_issue(user=alice, purpose="magic")
    with pytest.raises(LinkRejected) as superseded:
        link_consume(token=old, purpose="magic")
    assert superseded.value.reason == "superseded"
    assert link_consume(token=new, purpose="magic") == alice


@pytest.mark.django_db
def test_override_and_locale_fallback(root_org, admin_user):
    # Shipped French exists for email_otp; fr-CA falls back to it, de falls back to en.
    assert "Votre code" in template_resolve(organization=root_org, template_type="email_otp", locale="fr-CA").subject
    assert template_resolve(organization=root_org, template_type="email_otp", locale="de").locale == "en"
    template_save(
        actor=admin_user,
        organization=root_org,
        template_type="email_otp",
        locale="de",
        subject="Ihr Code für {{ organization_name }}",
        body_text="Hallo {{ user_name|upper }}, Ihr Code: {{ otp }}",
        body_html="<p>Code <b>{{ otp }}</b> & {{ user_name }}</p>",
    )
    message = notification_send(
        organization=root_org,
        channel="email",
        template_type="email_otp",
        recipient="x@example.org",
        context={"otp": "123456", "user_name": "<Zoë>"},
        locale="de-AT",
    )
    sent = sealed_text(message)
    assert message.locale == "de"
    assert sent["subject"] == "Ihr Code für Root"
    assert sent["text"] == "Hallo <ZOË>, Ihr Code: 123456"
    assert "&lt;Zoë&gt;" in sent["html"]  # HTML is escaped, plain text is not
    template_reset(actor=admin_user, organization=root_org, template_type="email_otp", locale="de")
    assert template_resolve(organization=root_org, template_type="email_otp", locale="de").locale == "en"
    with pytest.raises(NotFound):
        template_reset(actor=admin_user, organization=root_org, template_type="email_otp", locale="de")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code", "named"),
    [
        ("Your link {{ link }}", "NTF-60034", "link"),  # not a placeholder of an OTP template
        ("Hi {{ user.password }}", "NTF-60034", "user.password"),
        ("{% debug %}", "NTF-60033", "debug"),
        ("{% include '/etc/passwd' %}", "NTF-60033", "include"),
        ("{{ otp|safe }}", "NTF-60035", "safe"),
        ("Code {{ otp ", "NTF-60032", ""),
        ("{% if %}", "NTF-60032", ""),
    ],
)
def test_invalid_templates_are_rejected_naming_the_offender(root_org, admin_user, body, code, named):
    with pytest.raises(InvalidInput) as excinfo:
        template_save(
            actor=admin_user,
            organization=root_org,
            template_type="password_reset_otp",
            locale="en",
            subject="Reset",
            body_text=body,
        )
    assert excinfo.value.code == code
    assert named in excinfo.value.message + excinfo.value.description


@pytest.mark.django_db
def test_sms_templates_have_only_a_body(root_org, admin_user):
    with pytest.raises(InvalidInput):
        template_save(
            actor=admin_user,
            organization=root_org,
            template_type="sms_otp",
            locale="en",
            subject="x",
            body_text="{{ otp }}",
        )
    with pytest.raises(InvalidInput):
        template_save(actor=admin_user, organization=root_org, template_type="nope", locale="en", body_text="x")
