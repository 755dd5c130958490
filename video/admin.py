"""Video in the admin: a lesson's captions and the state of its streaming renditions on
the lesson's own page.

The lesson admin is catalog's ``LessonAdmin``, extended here (``VideoLessonAdmin``) so the
catalog app knows nothing of video. Captions are scoped like every authoring admin
(``AuthoredByMixin``): instructors reach the captions of their own courses only.
"""

from django.contrib import admin

from catalog.admin import LessonAdmin
from catalog.admin_mixins import AuthoredByMixin
from catalog.models import Course, Lesson
from video.admin_transcode import TranscodeAdminMixin
from video.forms import CaptionForm
from video.models import Caption


class CaptionScopeMixin(AuthoredByMixin):
    """Captions of the courses the user may author; a lesson to pick only among those."""

    course_path = "lesson__section__course"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Lesson:
            kwargs["queryset"] = Lesson.objects.filter(
                section__course__in=Course.objects.editable_by(request.user)
            ).select_related("section__course")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CaptionInline(CaptionScopeMixin, admin.StackedInline):
    model = Caption
    form = CaptionForm
    fields = ["language", "file"]
    extra = 1
    verbose_name = "caption file"
    verbose_name_plural = "Captions (WebVTT, one file per language)"
    lesson_kinds = [Lesson.Kind.VIDEO]  # on a video lesson's page only (LessonAdmin)


# --- The lesson page ----------------------------------------------------------------------
admin.site.unregister(Lesson)


@admin.register(Lesson)
class VideoLessonAdmin(TranscodeAdminMixin, LessonAdmin):
    """catalog's lesson page with the lesson's captions and streaming state."""

    inlines = [*LessonAdmin.inlines, CaptionInline]
    kind_fields = {
        **LessonAdmin.kind_fields,
        Lesson.Kind.VIDEO: [*LessonAdmin.kind_fields[Lesson.Kind.VIDEO], "streaming"],
    }
    list_display = [*LessonAdmin.list_display, "streaming_state"]
    actions = [*(LessonAdmin.actions or []), "prepare_again"]


# --- All captions -------------------------------------------------------------------------
@admin.register(Caption)
class CaptionAdmin(CaptionScopeMixin, admin.ModelAdmin):
    """Every caption the user may author, to find them across lessons (they are edited
    on the lesson's page too)."""

    form = CaptionForm
    list_display = ["lesson", "language", "course_title", "updated_at"]
    list_select_related = ["lesson__section__course"]
    # (No language filter: it would list every language Django knows, not those in use.)
    search_fields = ["lesson__title", "lesson__section__course__title", "=language"]
    autocomplete_fields = ["lesson"]
    fields = ["lesson", "language", "file"]

    @admin.display(description="Course", ordering="lesson__section__course__title")
    def course_title(self, obj):
        return obj.lesson.section.course
