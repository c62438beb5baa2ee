from django.apps import AppConfig


class IdpConfig(AppConfig):
    name = "apps.idp"
    label = "idp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.authn.authenticators import register_family
        from apps.idp.authenticator import federated_authenticator_for, federated_authenticators_of
        from apps.idp.services.federation import register_callback
        from apps.idp.views import login_callback

        register_family("federated", federated_authenticator_for, federated_authenticators_of)
        register_callback("login", login_callback)
