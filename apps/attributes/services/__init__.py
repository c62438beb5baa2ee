"""Every write to attribute definitions and OIDC scopes, and THE validation of
user attribute values (``validate_user_attributes``)."""

from apps.attributes.services.claims import local_claim_create, local_claim_delete, local_claim_update
from apps.attributes.services.dialects import (
    dialect_create,
    dialect_delete,
    dialect_update,
    external_claim_create,
    external_claim_delete,
    external_claim_update,
)
from apps.attributes.services.scopes import oidc_scope_create, oidc_scope_delete, oidc_scope_update
from apps.attributes.services.seed import attributes_seed_defaults
from apps.attributes.services.values import AttributeValueConflict, normalize_value, validate_user_attributes

__all__ = [
    "AttributeValueConflict",
    "attributes_seed_defaults",
    "dialect_create",
    "dialect_delete",
    "dialect_update",
    "external_claim_create",
    "external_claim_delete",
    "external_claim_update",
    "local_claim_create",
    "local_claim_delete",
    "local_claim_update",
    "normalize_value",
    "oidc_scope_create",
    "oidc_scope_delete",
    "oidc_scope_update",
    "validate_user_attributes",
]
