from django.urls import path

from apps.users.api import views

urlpatterns = [
    path("users", views.UserListView.as_view(), name="users"),
    path("users/<str:user_id>", views.UserDetailView.as_view(), name="user-detail"),
    path("users/<str:user_id>/state", views.UserStateView.as_view(), name="user-state"),
    path("users/<str:user_id>/password", views.UserPasswordView.as_view(), name="user-password"),
    path("groups", views.GroupListView.as_view(), name="groups"),
    path("groups/<str:group_id>", views.GroupDetailView.as_view(), name="group-detail"),
    path("roles", views.RoleListView.as_view(), name="roles"),
    path("roles/<str:role_id>", views.RoleDetailView.as_view(), name="role-detail"),
]
