"""What the token endpoint tells the rest of the system: one call per issued access token.

The webhooks app decides whether anyone listens (a cached check, no query on the hot path when
no webhook subscribes to the token channel) and writes the outbox event."""

from __future__ import annotations

from apps.oauth.tokens import TokenGrant


def token_issued(grant: TokenGrant, *, grant_type: str) -> None:
    from apps.webhooks.services import publish_token_issued

    publish_token_issued(
        organization=grant.organization,
        application=grant.client,
        user=grant.user,
        grant_type=grant_type,
        token_type="JWT" if grant.client.jwt_access_tokens else "Opaque",
        scopes=grant.scopes,
    )
