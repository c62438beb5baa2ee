from django.urls import path

from apps.webhooks.api import views

urlpatterns = [
    path("webhooks", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/metadata", views.MetadataView.as_view(), name="webhook-metadata"),
    path(
        "webhooks/metadata/event-profiles/<str:profile_name>",
        views.EventProfileView.as_view(),
        name="webhook-event-profile",
    ),
    path("webhooks/<str:webhook_id>", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<str:webhook_id>/activate", views.WebhookActivateView.as_view(), name="webhook-activate"),
    path("webhooks/<str:webhook_id>/deactivate", views.WebhookDeactivateView.as_view(), name="webhook-deactivate"),
    path("webhooks/<str:webhook_id>/retry", views.WebhookRetryView.as_view(), name="webhook-retry"),
    path("webhooks/<str:webhook_id>/deliveries", views.DeliveryListView.as_view(), name="webhook-deliveries"),
    path("webhooks/<str:webhook_id>/deliveries/redeliver", views.RedeliverView.as_view(), name="webhook-redeliver"),
    path("webhooks/<str:webhook_id>/test", views.TestEventView.as_view(), name="webhook-test"),
    path("webhooks/<str:webhook_id>/health", views.HealthView.as_view(), name="webhook-health"),
]
