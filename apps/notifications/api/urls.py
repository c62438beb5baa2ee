from django.urls import path

from apps.notifications.api import views

urlpatterns = [
    path("notification-senders/email", views.EmailSenderListView.as_view(), name="email-senders"),
    path("notification-senders/email/<str:name>", views.EmailSenderDetailView.as_view(), name="email-sender"),
    path("notification-senders/email/<str:name>/test", views.EmailSenderTestView.as_view(), name="email-sender-test"),
    path("notification-senders/sms", views.SmsSenderListView.as_view(), name="sms-senders"),
    path("notification-senders/sms/<str:name>", views.SmsSenderDetailView.as_view(), name="sms-sender"),
    path("notification-messages", views.MessageListView.as_view(), name="notification-messages"),
    path("notification-messages/<str:message_id>", views.MessageDetailView.as_view(), name="notification-message"),
    path(
        "notification-messages/<str:message_id>/retry",
        views.MessageRetryView.as_view(),
        name="notification-message-retry",
    ),
    path("notification-templates", views.TemplateTypeListView.as_view(), name="notification-templates"),
    path(
        "notification-templates/<str:template_type>/<str:locale>",
        views.TemplateDetailView.as_view(),
        name="notification-template",
    ),
    path("notification-settings", views.SettingsView.as_view(), name="notification-settings"),
]
