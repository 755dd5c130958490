from django.apps import AppConfig
from django.db.models.signals import post_delete


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Lectern"

    def ready(self):
        from lms.files import delete_files_of_deleted_row

        post_delete.connect(delete_files_of_deleted_row, dispatch_uid="lms.delete_files_of_row")
