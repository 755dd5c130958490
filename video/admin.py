from django.contrib import admin

from catalog.admin import LessonAdmin
from catalog.models import Lesson
from video.admin_transcode import TranscodeAdminMixin


class VideoLessonAdmin(TranscodeAdminMixin, LessonAdmin):
    """catalog's lesson admin, with what the video app adds: the streaming state."""

    list_display = [*LessonAdmin.list_display, "streaming_state"]
    actions = [*(LessonAdmin.actions or []), "prepare_again"]


admin.site.unregister(Lesson)
admin.site.register(Lesson, VideoLessonAdmin)
