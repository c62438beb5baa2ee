from django.urls import path

from apps.flows.api import views

urlpatterns = [
    path("flow", views.FlowView.as_view(), name="flow"),
    path("flow/meta", views.FlowMetaView.as_view(), name="flow-meta"),
    path("flow/config", views.FlowConfigView.as_view(), name="flow-config"),
    path("flow/configs", views.FlowConfigsView.as_view(), name="flow-configs"),
    path("flow/execute", views.FlowExecuteView.as_view(), name="flow-execute"),
    path("flow/draft", views.FlowDraftView.as_view(), name="flow-draft"),
    path("flow/publish", views.FlowPublishView.as_view(), name="flow-publish"),
    path("flow/versions", views.FlowVersionsView.as_view(), name="flow-versions"),
    path("flow/rollback", views.FlowRollbackView.as_view(), name="flow-rollback"),
    path("flow/validate", views.FlowValidateView.as_view(), name="flow-validate"),
    path("flow/generate", views.FlowGenerateView.as_view(), name="flow-generate"),
]
