"""Identity providers, federated sign-in and federated associations.

Public entry points (see docs/federation.md):

* providers: ``idp_create``, ``idp_update``, ``idp_delete``
* sign-in without the portal: ``federated_authorization_start``, ``federated_request_for_state``,
  ``federated_authorization_complete``, ``federated_user_resolve``, ``federated_account_match``,
  ``register_callback``, ``callback_url``
* associations (also the conditional-auth bridge): ``association_local_user``,
  ``association_create``, ``association_remove``, ``association_delete``,
  ``associations_delete_for_user``, ``associations_bulk``
* lookup: ``apps.idp.selectors.idp_get(organization, name)``"""

from apps.idp.services.associations import (
    association_create,
    association_delete,
    association_local_user,
    association_remove,
    associations_bulk,
    associations_delete_for_user,
)
from apps.idp.services.federation import (
    AuthorizationStart,
    FederatedIdentity,
    FederationFailed,
    Resolution,
    callback_url,
    federated_account_match,
    federated_authorization_complete,
    federated_authorization_start,
    federated_request_for_state,
    federated_user_resolve,
    register_callback,
)
from apps.idp.services.providers import idp_create, idp_delete, idp_update

__all__ = [
    "AuthorizationStart",
    "FederatedIdentity",
    "FederationFailed",
    "Resolution",
    "association_create",
    "association_delete",
    "association_local_user",
    "association_remove",
    "associations_bulk",
    "associations_delete_for_user",
    "callback_url",
    "federated_account_match",
    "federated_authorization_complete",
    "federated_authorization_start",
    "federated_request_for_state",
    "federated_user_resolve",
    "idp_create",
    "idp_delete",
    "idp_update",
    "register_callback",
]
