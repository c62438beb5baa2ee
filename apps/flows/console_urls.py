"""Console pages of the Flow Builder (in the ``console`` namespace)."""

from django.urls import path

from apps.flows import console_views as views

urlpatterns = [
    path("flows/", views.flow_list_view, name="flow-list"),
    path("flows/<slug:slug>/", views.flow_builder_view, name="flow-builder"),
    path("flows/<slug:slug>/config/", views.flow_config_view, name="flow-config"),
    path("flows/<slug:slug>/validate/", views.flow_validate_view, name="flow-validate"),
    path("flows/<slug:slug>/draft/", views.flow_save_view, name="flow-save"),
    path("flows/<slug:slug>/publish/", views.flow_publish_view, name="flow-publish"),
    path("flows/<slug:slug>/versions/", views.flow_versions_view, name="flow-versions"),
    path("flows/<slug:slug>/versions/<int:version>/rollback/", views.flow_rollback_view, name="flow-rollback"),
    path("flows/<slug:slug>/export/", views.flow_export_view, name="flow-export"),
    path("flows/<slug:slug>/try/", views.flow_try_view, name="flow-try"),
]
