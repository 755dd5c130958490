from django.apps import AppConfig
from django.db.models.signals import pre_delete


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning"
    # Instructors open paced lessons early for their own courses' students (learning.admin
    # scopes the rows); see accounts.permissions.
    role_permissions = {
        "Instructors": ["add_lessonunlock", "view_lessonunlock", "delete_lessonunlock"],
        "Staff": "__all__",
    }

    def ready(self):
        from django.contrib.auth import get_user_model

        from catalog.signals import lessons_changed
        from learning.content import follow_player_models
        from learning.services import follow_lesson_changes, release_enrollments_of_deleted_user
        from lms.lib.files import follow_files_of

        pre_delete.connect(
            release_enrollments_of_deleted_user,
            sender=get_user_model(),
            dispatch_uid="learning.release_enrollments_of_deleted_user",
        )
        # catalog cannot call learning: it says when a course's lessons changed.
        lessons_changed.connect(
            follow_lesson_changes, dispatch_uid="learning.follow_lesson_changes"
        )
        follow_files_of(self)  # certificate PDFs
        follow_player_models()  # the player's shared content shows rendition sets, captions
