from django.apps import AppConfig


class FlowsConfig(AppConfig):
    name = "apps.flows"
    label = "flows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.flows.executors.federated import CALLBACK_PURPOSE
        from apps.flows.federation import flow_callback
        from apps.idp.services.federation import register_callback

        register_callback(CALLBACK_PURPOSE, flow_callback)  # /commonauth continues a federated sign-up
