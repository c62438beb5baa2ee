"""Back-channel logout delivery."""

from __future__ import annotations

import logging

import requests
from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(
    name="apps.authn.tasks.backchannel_logout_deliver",
    autoretry_for=(requests.RequestException,),
    retry_backoff=True,
    max_retries=3,
)
def backchannel_logout_deliver(organization_id: str, client_id: str, uri: str, subject: str, session_id: str) -> int:
    """Sign a logout token with the tenant's key and POST it as ``logout_token`` (form-encoded)."""
    from apps.authn.services.backchannel import logout_token_claims
    from apps.oauth.jose import jwt_sign
    from apps.orgs.models import Organization

    organization = Organization.objects.get(pk=organization_id)
    claims = logout_token_claims(organization=organization, client_id=client_id, subject=subject, session_id=session_id)
    token, _alg = jwt_sign(claims, organization=organization, typ="logout+jwt")
    response = requests.post(uri, data={"logout_token": token}, timeout=5, allow_redirects=False)
    if response.status_code >= 500:
        raise requests.RequestException(f"back-channel logout to {client_id} answered {response.status_code}")
    log.info("back-channel logout to %s answered %s", client_id, response.status_code)
    return response.status_code
