"""The system management APIs and WSO2's internal scope names, seeded as
API resources so roles can grant them like any other permission."""

from __future__ import annotations

SYSTEM_API_RESOURCES: list[dict] = [
    {
        "identifier": "/api/server/v1/organizations",
        "name": "Organization Management API",
        "scopes": [
            ("internal_organization_view", "View organizations"),
            ("internal_organization_create", "Create organizations"),
            ("internal_organization_update", "Update organizations"),
            ("internal_organization_delete", "Delete organizations"),
        ],
    },
    {
        "identifier": "/api/server/v1/users",
        "name": "User Management API",
        "scopes": [
            ("internal_user_mgt_view", "View users"),
            ("internal_user_mgt_list", "List users"),
            ("internal_user_mgt_create", "Create users"),
            ("internal_user_mgt_update", "Update users"),
            ("internal_user_mgt_delete", "Delete users"),
        ],
    },
    {
        "identifier": "/api/server/v1/groups",
        "name": "Group Management API",
        "scopes": [
            ("internal_group_mgt_view", "View groups"),
            ("internal_group_mgt_create", "Create groups"),
            ("internal_group_mgt_update", "Update groups"),
            ("internal_group_mgt_delete", "Delete groups"),
        ],
    },
    {
        "identifier": "/api/server/v1/roles",
        "name": "Role Management API",
        "scopes": [
            ("internal_role_mgt_view", "View roles"),
            ("internal_role_mgt_create", "Create roles"),
            ("internal_role_mgt_update", "Update roles"),
            ("internal_role_mgt_delete", "Delete roles"),
        ],
    },
    {
        "identifier": "/api/server/v1/applications",
        "name": "Application Management API",
        "scopes": [
            ("internal_application_mgt_view", "View applications"),
            ("internal_application_mgt_create", "Create applications"),
            ("internal_application_mgt_update", "Update applications"),
            ("internal_application_mgt_delete", "Delete applications"),
        ],
    },
    {
        "identifier": "/api/server/v1/api-resources",
        "name": "API Resource Management API",
        "scopes": [
            ("internal_api_resource_view", "View API resources"),
            ("internal_api_resource_create", "Create API resources"),
            ("internal_api_resource_update", "Update API resources"),
            ("internal_api_resource_delete", "Delete API resources"),
        ],
    },
    {
        "identifier": "/api/server/v1/keystores",
        "name": "Keystore Management API",
        "scopes": [
            ("internal_keystore_view", "View signing keys"),
            ("internal_keystore_update", "Rotate signing keys"),
        ],
    },
    {
        "identifier": "/api/server/v1/webhooks",
        "name": "Webhook Management API",
        "scopes": [
            ("internal_webhook_view", "View webhooks and their deliveries"),
            ("internal_webhook_create", "Create webhooks"),
            ("internal_webhook_update", "Update webhooks, redeliver and test events"),
            ("internal_webhook_delete", "Delete webhooks"),
            ("internal_webhook_meta_view", "View webhook metadata"),
            ("internal_webhook_meta_update", "Update webhook metadata (organization policy)"),
        ],
    },
    {
        "identifier": "/api/server/v1/notification-senders",
        "name": "Notification Sender Management API",
        "scopes": [
            ("internal_notification_sender_mgt_view", "View email/SMS providers, the message log and OTP settings"),
            ("internal_notification_sender_mgt_create", "Create email/SMS providers"),
            ("internal_notification_sender_mgt_update", "Update providers and OTP settings, send test emails"),
            ("internal_notification_sender_mgt_delete", "Delete email/SMS providers"),
        ],
    },
    {
        "identifier": "/api/server/v1/notification-templates",
        "name": "Notification Template Management API",
        "scopes": [
            ("internal_template_mgt_view", "View notification templates"),
            ("internal_template_mgt_update", "Customise notification templates"),
        ],
    },
    {
        "identifier": "/api/server/v1/audit-logs",
        "name": "Audit Log API",
        "scopes": [("internal_audit_log_view", "View audit logs")],
    },
    {
        "identifier": "/api/server/v1/claim-dialects",
        "name": "Claim Management API",
        "scopes": [
            ("internal_claim_meta_view", "View attributes"),
            ("internal_claim_meta_create", "Create attributes"),
            ("internal_claim_meta_update", "Update attributes"),
            ("internal_claim_meta_delete", "Delete attributes"),
        ],
    },
    {
        "identifier": "/api/server/v1/oidc/scopes",
        "name": "OIDC Scope Management API",
        "scopes": [
            ("internal_oidc_scope_mgt_view", "View OIDC scopes"),
            ("internal_oidc_scope_mgt_create", "Create OIDC scopes"),
            ("internal_oidc_scope_mgt_update", "Update OIDC scopes"),
            ("internal_oidc_scope_mgt_delete", "Delete OIDC scopes"),
        ],
    },
    {
        "identifier": "/api/server/v1/flow",
        "name": "Flow Management API",
        "scopes": [
            ("internal_flow_mgt_view", "View registration, recovery and invite flows"),
            ("internal_flow_mgt_update", "Edit, publish and configure flows"),
        ],
    },
    {
        "identifier": "/scim2/Bulk",
        "name": "SCIM2 Bulk API",
        "scopes": [
            ("internal_bulk_resource_create", "Run every operation of a SCIM bulk request"),
            ("internal_bulk_user_create", "Create users in SCIM bulk requests"),
            ("internal_bulk_user_update", "Update users in SCIM bulk requests"),
            ("internal_bulk_user_delete", "Delete users in SCIM bulk requests"),
            ("internal_bulk_group_create", "Create groups in SCIM bulk requests"),
            ("internal_bulk_group_update", "Update groups in SCIM bulk requests"),
            ("internal_bulk_group_delete", "Delete groups in SCIM bulk requests"),
            ("internal_bulk_role_create", "Create roles in SCIM bulk requests"),
            ("internal_bulk_role_update", "Update roles in SCIM bulk requests"),
            ("internal_bulk_role_delete", "Delete roles in SCIM bulk requests"),
        ],
    },
    {
        "identifier": "/api/server/v1/identity-providers",
        "name": "Identity Provider Management API",
        "scopes": [
            ("internal_idp_view", "View identity providers (connections)"),
            ("internal_idp_create", "Create identity providers"),
            ("internal_idp_update", "Update identity providers"),
            ("internal_idp_delete", "Delete identity providers"),
        ],
    },
    {
        "identifier": "/api/users/v1/federated-associations",
        "name": "Federated User Association API",
        "scopes": [
            ("internal_user_association_view", "View users' federated associations"),
            ("internal_user_association_create", "Link federated identities to users"),
            ("internal_user_association_delete", "Remove users' federated associations"),
            ("internal_user_fed_association_bulk", "Create and delete federated associations in bulk"),
        ],
    },
    {
        "identifier": "/api/identity/oauth2/dcr/v1.1/register",
        "name": "Dynamic Client Registration API",
        "scopes": [("internal_dcr_create", "Register applications dynamically (initial access token)")],
    },
    {
        "identifier": "/scim2/Me",
        "name": "SCIM2 Me API",
        "scopes": [("internal_login", "Log in and manage own account")],
    },
]
# Organization-scoped twins (internal_org_*) used inside sub-organizations.
for _resource in list(SYSTEM_API_RESOURCES):
    if _resource["identifier"] in {
        "/scim2/Me",
        "/api/server/v1/audit-logs",
        "/api/server/v1/keystores",
        "/api/identity/oauth2/dcr/v1.1/register",
    }:
        continue
    SYSTEM_API_RESOURCES.append(
        {
            "identifier": "/o" + _resource["identifier"],
            "name": _resource["name"] + " (organization)",
            "scopes": [(name.replace("internal_", "internal_org_", 1), label) for name, label in _resource["scopes"]],
        }
    )


def all_system_scope_names() -> list[str]:
    return [name for resource in SYSTEM_API_RESOURCES for name, _label in resource["scopes"]]
