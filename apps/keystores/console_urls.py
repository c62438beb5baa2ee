from django.urls import path

from apps.keystores import views

urlpatterns = [
    path("keystores/", views.keystore_list, name="keystore-list"),
]
