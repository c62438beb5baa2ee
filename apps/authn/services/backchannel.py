"""OIDC Back-Channel Logout 1.0: a signed logout token POSTed to each application of an ended session."""

from __future__ import annotations

import time
import uuid
from typing import Any

from django.db import transaction

from apps.authn.models import AppLoginSettings, AuthSession

LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token_claims(*, organization: Any, client_id: str, subject: str, session_id: str) -> dict[str, Any]:
    """§2.4: iss, aud, iat, exp, jti, sub and sid, the logout event, and never a nonce."""
    from apps.oauth.issuer import issuer

    now = int(time.time())
    return {
        "iss": issuer(organization),
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": str(uuid.uuid4()),
        "sub": subject,
        "sid": session_id,
        "events": {LOGOUT_EVENT: {}},
    }


def backchannel_targets(row: AuthSession) -> list[tuple[str, str]]:
    """(client_id, backchannel_logout_uri) of the session's applications that registered one."""
    if not row.clients:
        return []
    settings_rows = AppLoginSettings.objects.filter(
        application__client_id__in=row.clients,
        application__organization_id=row.organization_id,
    ).exclude(backchannel_logout_uri="")
    return [
        (item.application.client_id, item.backchannel_logout_uri)
        for item in settings_rows.select_related("application")
    ]


def backchannel_logout_schedule(row: AuthSession) -> None:
    """After commit, queue one delivery per application that registered a back-channel logout URI."""
    targets = backchannel_targets(row)
    if not targets:
        return

    def _enqueue() -> None:
        from apps.authn.tasks import backchannel_logout_deliver

        for client_id, uri in targets:
            backchannel_logout_deliver.delay(str(row.organization_id), client_id, uri, str(row.user_id), str(row.pk))

    transaction.on_commit(_enqueue)


@transaction.atomic
def app_login_settings_update(*, actor: Any, application: Any, backchannel_logout_uri: str) -> AppLoginSettings:
    from django.core.exceptions import ValidationError
    from django.core.validators import URLValidator
    from django.utils.translation import gettext as _

    from apps.core.audit import audit_record
    from apps.core.errors import InvalidInput

    uri = (backchannel_logout_uri or "").strip()
    if uri:
        try:
            URLValidator(schemes=["http", "https"])(uri)
        except ValidationError as exc:
            raise InvalidInput("AUT-60020", _("Enter a valid http(s) URL."), field="backchannel_logout_uri") from exc
    row, _created = AppLoginSettings.objects.update_or_create(
        application=application, defaults={"backchannel_logout_uri": uri}
    )
    audit_record(
        actor=actor,
        action="application.login_settings.update",
        target_type="application",
        target_id=application.pk,
        organization=application.organization,
        data={"backchannel_logout_uri": uri},
    )
    return row
