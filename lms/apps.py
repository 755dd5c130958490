from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Lectern"

    def ready(self):
        from django.apps import apps

        from lms.files import FilesFollowRows, delete_files_of_deleted_row
        from lms.page_cache import bump_catalog_version, bump_catalog_version_unless_new

        # Per model: a post_delete receiver for every model would make Django load and
        # signal every row of every bulk or cascading delete (no fast delete anywhere).
        for model in apps.get_models():
            if issubclass(model, FilesFollowRows):
                post_delete.connect(
                    delete_files_of_deleted_row,
                    sender=model,
                    dispatch_uid=f"lms.delete_files_of_row.{model._meta.label}",
                )
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
                    bump_catalog_version_unless_new
                    if label == "accounts.Profile"  # every signup creates one
                    else bump_catalog_version,
                    sender=model,
                    dispatch_uid=f"lms.page_cache.{label}.{signal}",
                )
