from django.apps import AppConfig


class MyaccountConfig(AppConfig):
    name = "apps.myaccount"
    label = "myaccount"
    default_auto_field = "django.db.models.BigAutoField"
