"""Client snapshots use the shared per-process cache (``apps.core.cache``).

Staleness across processes is bounded by the TTL, and for token issuance
removed entirely by the version guard on the token INSERT (see
``apps.oauth.store``)."""

from apps.core.cache import BoundedCache as TTLCache

__all__ = ["TTLCache"]
