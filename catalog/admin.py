"""Course authoring in the Django admin.

Instructors see and change only their own courses, sections and lessons; staff see all.
One mixin (``AuthoredByMixin``) does the scoping for lists, change/delete pages, direct
URLs, inlines, foreign-key choices, autocomplete and actions, using the same
``Course.objects.editable_by(user)`` the public views use.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from catalog.models import Category, Course, Lesson, Section, Tag, of_editable_courses
from catalog.templatetags.catalog_tags import clock
from catalog.video import inspect_video
from lms.files import ensure_room, process_image


class AuthoredByMixin:
    """Scope an admin (or inline) to rows of courses the user may author.

    ``course_path`` is the lookup from the model to its Course ("" for Course itself).
    """

    course_path = ""

    def get_queryset(self, request):
        return of_editable_courses(
            super().get_queryset(request), request.user, self.course_path or "pk"
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and self.model._default_manager.filter(pk=object_id).exists():
            raise Http404("No such item among your courses.")  # someone else's: 404, not 302
        return obj

    def _may_author(self, request) -> bool:
        return request.user.is_active and request.user.can_author_courses

    def has_module_permission(self, request):
        return self._may_author(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_author(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._may_author(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._may_author(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_author(request) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:  # one by one: the models' delete() keeps counters in step
            obj.delete()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Course:
            kwargs["queryset"] = Course.objects.editable_by(request.user)
        elif db_field.related_model is Section:
            kwargs["queryset"] = Section.objects.filter(
                course__in=Course.objects.editable_by(request.user)
            ).select_related("course")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def move_buttons(obj, url_name: str):
    """Up/down buttons (POST, CSRF-protected) that swap ``obj`` with its neighbour."""
    if not obj.pk:
        return "—"
    url = reverse(url_name, args=[obj.pk])
    return format_html(
        '<button type="submit" class="button lectern-move" form="lectern-move-form" '
        'formaction="{}?direction=up" aria-label="Move “{}” up">↑</button> '
        '<button type="submit" class="button lectern-move" form="lectern-move-form" '
        'formaction="{}?direction=down" aria-label="Move “{}” down">↓</button>',
        url,
        obj,
        url,
        obj,
    )


# --- Forms ------------------------------------------------------------------------------
class CourseAdminForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = [
            "title",
            "slug",
            "subtitle",
            "category",
            "tags",
            "level",
            "language",
            "price",
            "thumbnail",
            "description",
            "what_you_will_learn",
            "requirements",
            "status",
            "featured",
            "instructor",
        ]
        widgets = {"subtitle": forms.TextInput(attrs={"size": 80})}

    def clean_thumbnail(self):
        upload = self.cleaned_data.get("thumbnail")
        if not upload or not hasattr(upload, "content_type"):
            return upload  # unchanged or cleared
        processed = process_image(
            upload,
            max_bytes=settings.THUMBNAIL_MAX_BYTES,
            max_side=8000,
            box=settings.THUMBNAIL_SIZE,
        )
        processed.name = "thumbnail.webp"
        return processed

    def clean(self):
        cleaned = super().clean()
        publishing = cleaned.get("status") == Course.Status.PUBLISHED
        problems = self.instance.publish_problems() if publishing else []  # publish()'s rule
        if problems:
            raise ValidationError(
                {
                    "status": f"This course cannot be published yet: {'; '.join(problems)}. "
                    "Save it as a draft first."
                }
            )
        return cleaned


class PrivateFileInput(forms.ClearableFileInput):
    """Shows the current file's name, never a URL: private files have none."""

    template_name = "catalog/widgets/private_file_input.html"

    def __init__(self, attrs=None):
        super().__init__(
            {"accept": "video/mp4,video/webm,video/x-m4v,.mp4,.m4v,.webm", **(attrs or {})}
        )

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))


class LessonAdminForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ["section", "title", "description", "video", "is_free_preview", "is_published"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_video(self):
        upload = self.cleaned_data.get("video")
        if upload and hasattr(upload, "content_type"):  # a new upload
            self._video_info = inspect_video(upload)
            ensure_room(Lesson.video.field.storage, [upload])
        return upload

    def clean(self):
        cleaned = super().clean()
        # An upload already refused has its own message; "needs a video" would be noise.
        if cleaned.get("is_published") and not cleaned.get("video") and "video" not in self.errors:
            self.add_error("video", "A published lesson needs a video.")
        return cleaned

    def save(self, commit=True):
        info = getattr(self, "_video_info", None)
        if info is not None:
            self.instance.duration = info.duration
        elif not self.cleaned_data.get("video"):
            self.instance.duration = 0
        return super().save(commit)


# --- Inlines ----------------------------------------------------------------------------
class SectionInline(AuthoredByMixin, admin.TabularInline):
    model = Section
    course_path = "course"
    extra = 1
    fields = ["title", "lesson_summary", "reorder", "edit_lessons"]
    readonly_fields = ["lesson_summary", "reorder", "edit_lessons"]
    show_change_link = False

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_lessons=Count("lessons"))

    @admin.display(description="Lessons")
    def lesson_summary(self, obj):
        return getattr(obj, "n_lessons", 0) if obj.pk else "—"

    @admin.display(description="Order")
    def reorder(self, obj):
        return move_buttons(obj, "admin:catalog_section_move")

    @admin.display(description="")
    def edit_lessons(self, obj):
        if not obj.pk:
            return "Save to add lessons"
        url = reverse("admin:catalog_section_change", args=[obj.pk])
        return format_html('<a href="{}">Edit lessons of “{}”</a>', url, obj)


PRIVATE_FILE_WIDGETS = {models.FileField: {"widget": PrivateFileInput}}


class LessonFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Videos added together must fit on the disk together, not only one by one."""
        super().clean()
        uploads = [
            form.cleaned_data["video"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and hasattr(form.cleaned_data.get("video"), "content_type")  # a new upload
        ]
        if len(uploads) > 1:
            ensure_room(Lesson.video.field.storage, uploads)


class LessonInline(AuthoredByMixin, admin.StackedInline):
    model = Lesson
    form = LessonAdminForm
    formset = LessonFormSet
    formfield_overrides = PRIVATE_FILE_WIDGETS
    course_path = "section__course"
    extra = 1
    fields = [
        "title",
        "description",
        "video",
        "watch",
        "duration_display",
        "is_free_preview",
        "is_published",
        "reorder",
    ]
    readonly_fields = ["watch", "duration_display", "reorder"]

    @admin.display(description="Duration")
    def duration_display(self, obj):
        return clock(obj.duration) if obj.pk else "read from the video on upload"

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
class MoveViewMixin:
    """Adds POST <pk>/move/?direction=up|down for the up/down buttons."""

    def get_urls(self):
        name = f"{self.model._meta.app_label}_{self.model._meta.model_name}_move"
        return [
            path("<int:pk>/move/", self.admin_site.admin_view(self.move_view), name=name),
            *super().get_urls(),
        ]

    def move_view(self, request, pk):
        return require_POST(self._move)(request, pk)

    def _move(self, request, pk):
        obj = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, obj):
            raise Http404
        direction = {"up": -1, "down": 1}.get(request.GET.get("direction"))
        if direction is None:
            messages.error(request, "Unknown direction.")
        elif not obj.move(direction):
            messages.info(request, f"“{obj}” is already at that end.")
        return HttpResponseRedirect(self.parent_url(obj))

    def parent_url(self, obj) -> str:
        raise NotImplementedError


class UploadProgressMedia:
    class Media:
        js = ["catalog/admin-upload-progress.js"]
        css = {"all": ["catalog/admin.css"]}


@admin.register(Course)
class CourseAdmin(AuthoredByMixin, admin.ModelAdmin):
    form = CourseAdminForm
    inlines = [SectionInline]
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
        "preview_link",
        "lesson_count",
        "duration_display",
        "published_at",
        "enrollment_count",
        "rating_avg",
        "rating_count",
    ]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "preview_link",
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
        ("Publishing", {"fields": ["status", "published_at", "featured"]}),
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

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if not obj.pk:
            return "Save the course to preview it."
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">Preview as a student ↗</a>',
            obj.get_absolute_url(),
        )

    @admin.display(description="Duration", ordering="total_duration")
    def duration_display(self, obj):
        return clock(obj.total_duration)

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


@admin.register(Lesson)
class LessonAdmin(CoursePartAdmin):
    form = LessonAdminForm
    formfield_overrides = PRIVATE_FILE_WIDGETS
    course_path = "section__course"
    autocomplete_fields = ["section"]
    list_display = [
        "title",
        "section",
        "course_title",
        "duration_display",
        "is_free_preview",
        "is_published",
    ]
    list_select_related = ["section__course"]
    list_filter = ["is_free_preview", "is_published"]
    search_fields = ["title", "section__title", "section__course__title"]
    readonly_fields = ["duration_display"]

    def parent_url(self, obj) -> str:
        return reverse("admin:catalog_section_change", args=[obj.section_id])

    @admin.display(description="Course")
    def course_title(self, obj):
        return obj.section.course

    @admin.display(description="Duration")
    def duration_display(self, obj):
        return clock(obj.duration)


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
