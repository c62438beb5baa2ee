from django.urls import path

from apps.notifications import console_lifecycle, views

urlpatterns = [
    path("notifications/email/", views.email_sender_view, name="notification-email"),
    path("notifications/email/test/", views.email_test_view, name="notification-email-test"),
    path("notifications/email/delete/", views.email_delete_view, name="notification-email-delete"),
    path("notifications/sms/", views.sms_sender_view, name="notification-sms"),
    path("notifications/sms/delete/", views.sms_delete_view, name="notification-sms-delete"),
    path("notifications/templates/", views.template_list_view, name="notification-templates"),
    path(
        "notifications/templates/<str:template_type>/<str:locale>/",
        views.template_edit_view,
        name="notification-template",
    ),
    path("notifications/messages/", views.message_list_view, name="notification-messages"),
    path("notifications/messages/<uuid:message_id>/retry/", views.message_retry_view, name="notification-retry"),
    path("notifications/settings/", views.settings_view, name="notification-settings"),
    # account lifecycle actions on users (invite, forced reset, resend)
    path("users/resend/", console_lifecycle.users_bulk_resend_view, name="user-bulk-resend"),
    path("users/<uuid:user_id>/invite/", console_lifecycle.user_invite_view, name="user-invite"),
    path("users/<uuid:user_id>/force-reset/", console_lifecycle.user_force_reset_view, name="user-force-reset"),
    path("users/<uuid:user_id>/resend/", console_lifecycle.user_resend_view, name="user-resend"),
]
