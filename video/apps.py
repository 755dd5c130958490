from django.apps import AppConfig


class VideoConfig(AppConfig):
    """Lesson video beyond the uploaded file: HLS renditions made in the background,
    their keys and delivery, and captions."""

    name = "video"
    verbose_name = "Video"
    role_permissions = {
        "Instructors": [
            *(f"{action}_caption" for action in ("add", "change", "delete", "view")),
            "view_transcode",
        ],
        "Staff": "__all__",
    }

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_save

        from catalog.builder import register_lesson_state
        from catalog.models import Lesson
        from catalog.signals import course_duplicated
        from learning.player import add_player_media
        from lms.lib.files import follow_files_of
        from video.admin_transcode import builder_badges
        from video.captions import copy_captions, player_media
        from video.services import follow_lesson_video, hold_publication, lesson_deleted

        follow_files_of(self)  # caption files
        add_player_media(player_media)  # captions and transcript in the player and the API
        register_lesson_state(builder_badges)  # the video's state on the curriculum builder
        # catalog knows nothing of renditions: a new, replaced or removed lesson video,
        # or a deleted lesson, is followed here.
        pre_save.connect(hold_publication, sender=Lesson, dispatch_uid="video.hold")
        post_save.connect(follow_lesson_video, sender=Lesson, dispatch_uid="video.follow")
        post_delete.connect(lesson_deleted, sender=Lesson, dispatch_uid="video.lesson_deleted")
        course_duplicated.connect(copy_captions, dispatch_uid="video.copy_captions")
