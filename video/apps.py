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
        from lms.lib.files import follow_files_of

        follow_files_of(self)  # caption files
