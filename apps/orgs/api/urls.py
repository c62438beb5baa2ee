from django.urls import path

from apps.orgs.api import discovery_views, views

urlpatterns = [
    path("organizations", views.OrganizationListView.as_view(), name="organizations"),
    path("organizations/check-name", views.OrganizationCheckNameView.as_view(), name="organizations-check-name"),
    path("organizations/check-handle", views.OrganizationCheckHandleView.as_view(), name="organizations-check-handle"),
    path("organizations/self", views.OrganizationSelfView.as_view(), name="organizations-self"),
    path("organization-configs/discovery", discovery_views.DiscoveryConfigView.as_view(), name="org-discovery-config"),
    path("organizations/discovery", discovery_views.DiscoveryListView.as_view(), name="organizations-discovery"),
    path(
        "organizations/check-discovery",
        discovery_views.DiscoveryCheckView.as_view(),
        name="organizations-check-discovery",
    ),
    path(
        "organizations/<str:org_id>/discovery",
        discovery_views.DiscoveryDetailView.as_view(),
        name="organization-discovery",
    ),
    path("organizations/<str:org_id>", views.OrganizationDetailView.as_view(), name="organization-detail"),
]
