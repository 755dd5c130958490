from django.apps import AppConfig
from django.db.models.signals import pre_delete


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"
    role_permissions = {"Staff": "__all__"}

    def ready(self):
        from django.contrib.auth import get_user_model

        from learning.services import release_enrollments_of_deleted_user

        pre_delete.connect(
            release_enrollments_of_deleted_user,
            sender=get_user_model(),
            dispatch_uid="learning.release_enrollments_of_deleted_user",
        )
