from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Lectern"

    def ready(self):
        from django.apps import apps

        from lms.files import delete_files_of_deleted_row
        from lms.page_cache import bump_catalog_version

        post_delete.connect(delete_files_of_deleted_row, dispatch_uid="lms.delete_files_of_row")
        # Public pages show these models: any change invalidates the cached pages.
        for label in (
            "catalog.Category",
            "catalog.Tag",
            "catalog.Course",
            "catalog.Section",
            "catalog.Lesson",
            "reviews.Review",
            "accounts.Profile",
        ):
            model = apps.get_model(label)
            for signal in (post_save, post_delete):
                signal.connect(
                    bump_catalog_version,
                    sender=model,
                    dispatch_uid=f"lms.page_cache.{label}.{signal}",
                )
