from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db import transaction
from django.http import QueryDict
from django.template.response import TemplateResponse

from accounts.models import User
from catalog.admin_mixins import AuthoredByMixin
from catalog.models import Course, Lesson
from learning import services
from learning.models import Certificate, Enrollment, LessonProgress, LessonUnlock
from lms.lib.admin_actions import with_reason


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    """Staff look-up of who is enrolled where (instructors hold no permission here)."""

    list_display = ["user", "course", "created_at", "completed_at", "price_paid"]
    list_select_related = ["user", "course"]
    list_filter = ["completed_at"]
    search_fields = ["user__email", "course__title"]
    readonly_fields = ["user", "course", "created_at", "completed_at", "price_paid"]

    def has_add_permission(self, request):
        return False  # enrolment goes through learning.services.enroll

    # Deleting, one or many, goes through the service that keeps the course's count.
    def delete_model(self, request, obj):
        services.remove_enrollment(enrollment=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for enrollment in queryset.select_related("course"):
            services.remove_enrollment(enrollment=enrollment)


@admin.register(LessonProgress)
class LessonProgressAdmin(admin.ModelAdmin):
    list_display = ["user", "lesson", "position", "watched_seconds", "completed_at", "updated_at"]
    list_select_related = ["user", "lesson"]
    search_fields = ["user__email", "lesson__title"]
    readonly_fields = [
        "user",
        "lesson",
        "position",
        "watched",
        "watched_seconds",
        "completed_at",
        "completed_manually",
        "version",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Deleting, one or many, keeps the enrolment's completed-lesson rollup.
    def delete_model(self, request, obj):
        services.delete_progress(progress=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for progress in queryset.select_related("lesson__section__course"):
            services.delete_progress(progress=progress)


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["code", "student_name", "course_title", "issued_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["code", "student_name", "course_title", "user__email"]
    readonly_fields = [
        "user",
        "course",
        "code",
        "student_name",
        "course_title",
        "instructor_name",
        "issued_at",
        "revoked_at",
        "revoked_reason",
        "revoked_by",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # issued by learning.services.issue_certificate only

    @admin.action(
        description="Revoke the selected certificates (asks for a reason)", permissions=["change"]
    )
    def revoke(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset,
            action="revoke",
            title="Revoke certificates",
            label="Reason (shown on the public verification page)",
            initial="Issued in error.",
            explanation="A revoked certificate stays on its verification page, marked as no "
            "longer valid, with the reason below.",
            apply=lambda certificate, reason: services.revoke_certificate(
                certificate=certificate, by=request.user, reason=reason
            ),
        )


# --- Lesson unlocks (paced courses) -------------------------------------------------------
class UnlockCourseFilter(admin.SimpleListFilter):
    """By course, among the paced courses the user may author (never others' titles)."""

    title = "course"
    parameter_name = "course"

    def lookups(self, request, model_admin):
        courses = (
            Course.objects.editable_by(request.user)
            .exclude(pacing=Course.Pacing.FREE)
            .order_by("title")
        )
        return [(str(course.pk), course.title) for course in courses]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(lesson__section__course=self.value())
        return queryset


class StudentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class LessonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.section.title} › {obj.title}"


class LessonUnlockForm(forms.ModelForm):
    """One student and one lesson of one course: only that course's enrolled students and
    published lessons can be chosen (``course`` is given by the admin)."""

    class Meta:
        model = LessonUnlock
        fields = ["user", "lesson"]
        field_classes = {"user": StudentChoiceField, "lesson": LessonChoiceField}
        labels = {"user": "Student"}
        help_texts = {
            "user": "A student enrolled in the course.",
            "lesson": "It opens for this student at once, whatever the course's pacing.",
        }
        error_messages = {
            NON_FIELD_ERRORS: {"unique_together": "This lesson is already unlocked for them."}
        }

    course: Course | None = None  # set by LessonUnlockAdmin.get_form

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        course = self.course
        # Plain selects: no "add another user/lesson" buttons here.
        for name in ("user", "lesson"):
            self.fields[name].widget = forms.Select()
        self.fields["user"].queryset = (
            User.objects.filter(enrollments__course=course).order_by("email")
            if course is not None
            else User.objects.none()
        )
        self.fields["lesson"].queryset = (
            Lesson.objects.filter(section__course=course, is_published=True)
            .select_related("section")
            .order_by("section__order", "order")
            if course is not None
            else Lesson.objects.none()
        )


@admin.register(LessonUnlock)
class LessonUnlockAdmin(AuthoredByMixin, admin.ModelAdmin):
    """Instructors open a lesson of their own paced courses early for one student; staff
    for any course. Deleting an unlock closes the lesson again. The add page works on one
    course (``?course=<id>``, from the course's pacing page or the list's course filter);
    without one it asks which."""

    course_path = "lesson__section__course"
    form = LessonUnlockForm
    list_display = ["user", "lesson", "course_title", "unlocked_by", "created_at"]
    list_select_related = ["user", "lesson__section__course", "unlocked_by"]
    list_filter = [UnlockCourseFilter]
    search_fields = ["user__email", "lesson__title"]
    fields = ["user", "lesson"]

    @admin.display(description="Course", ordering="lesson__section__course__title")
    def course_title(self, obj):
        return obj.lesson.section.course

    def has_change_permission(self, request, obj=None):
        return False  # nothing to edit: delete it to close the lesson again

    def _course(self, request) -> Course | None:
        """The course the add page works on: ``?course=``, or the list filter's."""
        value = request.GET.get("course")
        if value is None:
            filters = QueryDict(request.GET.get("_changelist_filters", ""))
            value = filters.get("course")
        if not (value and value.isdigit()):
            return None
        return Course.objects.editable_by(request.user).filter(pk=value).first()

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        course = obj.lesson.section.course if obj is not None else self._course(request)
        return type(form.__name__, (form,), {"course": course})

    def add_view(self, request, form_url="", extra_context=None):
        course = self._course(request)
        if course is None:
            if not self.has_add_permission(request):
                raise PermissionDenied
            courses = Course.objects.editable_by(request.user).order_by("title")
            return TemplateResponse(
                request,
                "admin/learning/lessonunlock/choose_course.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Unlock a lesson: choose the course",
                    "opts": self.model._meta,
                    "paced": [c for c in courses if c.pacing != Course.Pacing.FREE],
                    "free": [c for c in courses if c.pacing == Course.Pacing.FREE],
                },
            )
        context = {**(extra_context or {}), "title": f"Unlock a lesson of “{course}”"}
        return super().add_view(request, form_url, context)

    def save_model(self, request, obj, form, change):
        # get_or_create: a double submit finds the first one's row instead of failing.
        unlock, _ = LessonUnlock.objects.get_or_create(
            user=obj.user, lesson=obj.lesson, defaults={"unlocked_by": request.user}
        )
        obj.pk, obj.unlocked_by, obj.created_at = unlock.pk, unlock.unlocked_by, unlock.created_at
