from django.urls import path

from apps.keystores.api import views

urlpatterns = [
    path("keystores/<str:protocol>/keys", views.KeystoreKeyListView.as_view(), name="keystore-keys"),
    path("keystores/<str:protocol>/rotate", views.KeystoreRotateView.as_view(), name="keystore-rotate"),
]
