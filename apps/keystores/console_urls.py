from django.urls import path

from apps.keystores import views

urlpatterns = [
    path("keystores/", views.keystore_list_view, name="keystore-list"),
    path("keystores/<str:protocol>/rotate/", views.keystore_rotate_view, name="keystore-rotate"),
]
