"""Per-process caches for the token hot path.

Two kinds of entries, with different safety arguments:

* **kid -> parsed private / public JWK**: a kid is the thumbprint of its key and
  a key row never changes its material, so these entries can never be stale.
  They are only bounded in number.
* **(root organization, protocol) -> active kid** and **kid -> "may verify"**:
  these do change (rotation, retirement). They live at most
  ``ACTIVE_KEY_TTL_SECONDS``; that is the bound within which a rotation made in
  another process takes effect here. The process that rotates drops its own
  entries when the rotation commits. A key that stops being active keeps
  verifying for its overlap period, so signing with it for a few more seconds
  is harmless (with a zero overlap, an emergency retirement, a token signed in
  that window may fail verification; re-issuing fixes it).

Nothing here is state another process needs: a cold cache only costs a query.
"""

from __future__ import annotations

from apps.core.cache import BoundedCache

# Rotation takes effect in every process within this many seconds.
ACTIVE_KEY_TTL_SECONDS = 5.0


# kid -> ActiveSigningKey (private JWK parsed once per process).
signing_keys = BoundedCache(max_entries=1024)
# (root organization id, protocol) -> kid of the active key.
active_kids = BoundedCache(max_entries=4096, ttl_seconds=ACTIVE_KEY_TTL_SECONDS)
# kid -> (root organization id, public JWK) while the key may verify tokens.
verification_keys = BoundedCache(max_entries=4096, ttl_seconds=ACTIVE_KEY_TTL_SECONDS)


def clear_all() -> None:
    signing_keys.clear()
    active_kids.clear()
    verification_keys.clear()
