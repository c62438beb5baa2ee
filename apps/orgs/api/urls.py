from django.urls import path

from apps.orgs.api import views

urlpatterns = [
    path("organizations", views.OrganizationListView.as_view(), name="organizations"),
    path("organizations/check-name", views.OrganizationCheckNameView.as_view(), name="organizations-check-name"),
    path("organizations/check-handle", views.OrganizationCheckHandleView.as_view(), name="organizations-check-handle"),
    path("organizations/self", views.OrganizationSelfView.as_view(), name="organizations-self"),
    path("organizations/<str:org_id>", views.OrganizationDetailView.as_view(), name="organization-detail"),
]
