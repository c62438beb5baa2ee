from django.urls import path

from apps.webhooks import views

urlpatterns = [
    path("webhooks/", views.webhook_list_view, name="webhook-list"),
    path("webhooks/new/", views.webhook_new, name="webhook-create"),
    path("webhooks/settings/", views.webhook_settings_view, name="webhook-settings"),
    path("webhooks/<uuid:webhook_id>/", views.webhook_detail, name="webhook-detail"),
    path("webhooks/<uuid:webhook_id>/status/", views.webhook_status, name="webhook-status"),
    path("webhooks/<uuid:webhook_id>/test/", views.webhook_test, name="webhook-test"),
    path("webhooks/<uuid:webhook_id>/deliveries/", views.webhook_deliveries, name="webhook-deliveries"),
    path("webhooks/<uuid:webhook_id>/deliveries/<uuid:delivery_id>/", views.delivery_detail, name="webhook-delivery"),
    path("webhooks/<uuid:webhook_id>/redeliver/", views.webhook_redeliver_view, name="webhook-redeliver"),
    path("webhooks/<uuid:webhook_id>/delete/", views.webhook_remove, name="webhook-delete"),
]
