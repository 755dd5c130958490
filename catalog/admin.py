"""Course authoring in the Django admin.

Instructors see and change only their own courses, sections and lessons; staff see all.
The scoping is one mixin (``catalog.admin_mixins.AuthoredByMixin``); the forms live in
``catalog.forms``. A course's sections and lessons are arranged on the course's page by
the curriculum builder (``catalog.admin_builder``); each section and lesson keeps its own
page for what the builder does not edit (a lesson's description, video and captions).
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from catalog import admin_quizzes  # noqa: F401 (registers the quiz editor)
from catalog.admin_builder import CurriculumBuilderMixin
from catalog.admin_course_tools import CourseToolsMixin
from catalog.admin_mixins import AuthoredByMixin, MoveViewMixin, duration_column, move_buttons
from catalog.admin_pacing import PacingMixin
from catalog.admin_uploads import BulkUploadMixin
from catalog.forms import CourseAdminForm, LessonAdminForm, LessonFormSet, PrivateFileInput
from catalog.markdown import render_markdown
from catalog.models import Category, Course, Lesson, Quiz, Section, Tag
from catalog.templatetags.catalog_tags import reading_time

# Video fields name their file, never a URL: private files have none.
PRIVATE_FILE_WIDGETS = {models.FileField: {"widget": PrivateFileInput}}


# --- Inlines ----------------------------------------------------------------------------
class LessonInline(AuthoredByMixin, admin.StackedInline):
    model = Lesson
    form = LessonAdminForm
    formset = LessonFormSet
    formfield_overrides = PRIVATE_FILE_WIDGETS
    course_path = "section__course"
    extra = 1
    fields = [
        "title",
        "kind",
        "description",
        "video",
        "watch",
        "duration_display",
        "is_free_preview",
        "is_published",
        "reorder",
    ]
    readonly_fields = ["kind", "watch", "duration_display", "reorder"]

    duration_display = duration_column("duration", unsaved="read from the video on upload")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("section__course")

    @admin.display(description="Watch")
    def watch(self, obj):
        if not (obj.pk and obj.video):
            return "—"
        url = reverse("learning:preview", args=[obj.section.course.slug, obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">Play “{}” ↗</a>', url, obj)

    @admin.display(description="Order")
    def reorder(self, obj):
        return move_buttons(obj, "admin:catalog_lesson_move")


# --- Model admins -----------------------------------------------------------------------
class UploadProgressMedia:
    class Media:
        js = ["catalog/admin-upload-progress.js"]
        css = {"all": ["catalog/admin.css"]}


@admin.register(Course)
class CourseAdmin(
    CurriculumBuilderMixin,
    BulkUploadMixin,
    CourseToolsMixin,
    PacingMixin,
    AuthoredByMixin,
    admin.ModelAdmin,
):
    form = CourseAdminForm
    # Sections and lessons are edited in the curriculum builder below the course's form
    # (catalog.admin_builder), not in an inline.
    list_display = [
        "title",
        "instructor",
        "category",
        "status",
        "lesson_count",
        "duration_display",
        "price",
        "published_at",
    ]
    list_filter = ["status", "level", "category"]
    list_select_related = ["instructor", "category"]
    search_fields = ["title", "subtitle"]
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["tags"]
    readonly_fields = [
        "lesson_count",
        "duration_display",
        "published_at",
        "enrollment_count",
        "rating_avg",
        "rating_count",
    ]
    actions = ["publish", "unpublish", "duplicate"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "subtitle",
                    "category",
                    "tags",
                    "level",
                    "language",
                    "price",
                    "thumbnail",
                ]
            },
        ),
        ("Description", {"fields": ["description", "what_you_will_learn", "requirements"]}),
        (
            "Publishing",
            {"fields": ["status", "published_at", "featured", "lessons_wait_for_video"]},
        ),
        (
            "Numbers",
            {
                "fields": [
                    "lesson_count",
                    "duration_display",
                    "enrollment_count",
                    "rating_avg",
                    "rating_count",
                ],
                "classes": ["collapse"],
            },
        ),
    ]

    class Media(UploadProgressMedia.Media):
        pass

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_platform_staff:
            first = dict(fieldsets[0][1])
            first["fields"] = [*first["fields"], "instructor"]
            return [(None, first), *fieldsets[1:]]
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "featured"]})
            for name, opts in fieldsets
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "instructor":
            from accounts.models import User

            kwargs["queryset"] = User.objects.filter(
                role__in=[User.Role.INSTRUCTOR, User.Role.STAFF]
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change and not (request.user.is_platform_staff and obj.instructor_id):
            obj.instructor = request.user
        super().save_model(request, obj, form, change)

    duration_display = duration_column("total_duration")

    @admin.action(description="Publish the selected courses", permissions=["change"])
    def publish(self, request, queryset):
        published = 0
        for course in queryset:
            try:
                with transaction.atomic():
                    course.publish()
                published += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        if published:
            self.message_user(request, f"{published} course(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        for course in queryset:
            course.unpublish()
        self.message_user(request, f"{len(queryset)} course(s) unpublished.", messages.SUCCESS)


class CoursePartAdmin(MoveViewMixin, AuthoredByMixin, admin.ModelAdmin):
    """Sections and lessons: edited from their course's pages, not listed in the menu."""

    class Media(UploadProgressMedia.Media):
        pass

    def has_module_permission(self, request):
        return False  # reached from the course page


@admin.register(Section)
class SectionAdmin(CoursePartAdmin):
    course_path = "course"
    inlines = [LessonInline]
    autocomplete_fields = ["course"]
    list_display = ["title", "course", "order"]
    list_select_related = ["course"]
    search_fields = ["title", "course__title"]
    fields = ["course", "title", "back_to_course"]
    readonly_fields = ["back_to_course"]

    def parent_url(self, obj) -> str:
        return reverse("admin:catalog_course_change", args=[obj.course_id])

    @admin.display(description="Course page")
    def back_to_course(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">← Back to “{}”</a>', self.parent_url(obj), obj.course)


def quiz_editor_url(lesson: Lesson) -> str | None:
    """The quiz editor's page for a quiz lesson (catalog.admin_quizzes), or None while
    there is none (no Quiz row, or no editor registered)."""
    quiz_pk = Quiz.objects.filter(lesson=lesson).values_list("pk", flat=True).first()
    if quiz_pk is None:
        return None
    try:
        return reverse("admin:catalog_quiz_change", args=[quiz_pk])
    except NoReverseMatch:
        return None


@admin.register(Lesson)
class LessonAdmin(CoursePartAdmin):
    """A lesson's own page: what it shows follows its kind (``kind_fields``), chosen when
    the lesson was added on the course's curriculum builder and fixed since."""

    form = LessonAdminForm
    formfield_overrides = PRIVATE_FILE_WIDGETS
    course_path = "section__course"
    autocomplete_fields = ["section"]
    list_display = [
        "title",
        "kind",
        "section",
        "course_title",
        "duration_display",
        "is_free_preview",
        "is_published",
    ]
    list_select_related = ["section__course"]
    list_filter = ["kind", "is_free_preview", "is_published"]
    search_fields = ["title", "section__title", "section__course__title"]
    readonly_fields = [
        "kind",
        "duration_display",
        "reading_time",
        "article_preview",
        "quiz_editor",
    ]
    # The fields only one kind of lesson has, in their place on its page. An app that
    # extends this admin adds its own (video: "streaming"); a field in no list shows for
    # every kind. Inlines likewise: an inline class with ``lesson_kinds`` shows only on
    # those kinds' pages (video: captions).
    kind_fields = {
        Lesson.Kind.VIDEO: ["video", "duration_display"],
        Lesson.Kind.ARTICLE: ["body", "reading_time", "article_preview"],
        Lesson.Kind.QUIZ: ["quiz_editor"],
    }
    common_fields = ["section", "kind", "title", "description"]
    last_fields = ["is_free_preview", "is_published"]

    def get_fields(self, request, obj=None):
        kind = obj.kind if obj is not None else Lesson.Kind.VIDEO  # "Add" makes a video
        placed = {name for names in self.kind_fields.values() for name in names}
        placed |= {*self.common_fields, *self.last_fields}
        others = [name for name in super().get_fields(request, obj) if name not in placed]
        return [*self.common_fields, *self.kind_fields[kind], *others, *self.last_fields]

    def get_inline_instances(self, request, obj=None):
        kind = obj.kind if obj is not None else Lesson.Kind.VIDEO
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if kind in getattr(inline, "lesson_kinds", Lesson.Kind.values)
        ]

    def parent_url(self, obj) -> str:
        return reverse("admin:catalog_section_change", args=[obj.section_id])

    @admin.display(description="Reading time")
    def reading_time(self, obj):
        if not (obj.pk and obj.duration):
            return "— (counted from the text when you save)"
        return reading_time(obj.duration)

    @admin.display(description="Preview (as saved)")
    def article_preview(self, obj):
        if not (obj.pk and obj.body.strip()):
            return "—"
        url = reverse("learning:lesson", args=[obj.section.course.slug, obj.pk])
        return format_html(
            '<p><a href="{}" target="_blank" rel="noopener">Open it in the player ↗</a></p>'
            '<div class="lectern-article-preview">{}</div>',
            url,
            render_markdown(obj.body),
        )

    @admin.display(description="Questions")
    def quiz_editor(self, obj):
        url = quiz_editor_url(obj) if obj.pk else None
        if url is None:
            return "The quiz editor is not available."
        return format_html('<a href="{}">Edit the quiz’s questions and settings</a>', url)

    @admin.display(description="Course")
    def course_title(self, obj):
        return obj.section.course

    duration_display = duration_column("duration")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """Staff only: the Instructors group holds no category permissions."""

    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    fields = ["name"]
