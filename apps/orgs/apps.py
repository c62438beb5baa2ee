from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "apps.orgs"
    label = "orgs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.orgs.models import Organization
        from apps.orgs.selectors import organization_cache_forget

        def forget(sender: object, instance: Organization, **kwargs: object) -> None:
            organization_cache_forget(instance)

        post_save.connect(forget, sender=Organization, dispatch_uid="orgs-tenant-cache-save")
        post_delete.connect(forget, sender=Organization, dispatch_uid="orgs-tenant-cache-delete")
