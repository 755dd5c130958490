from django.contrib import admin
from django.db import transaction

from learning import services
from learning.models import Certificate, Enrollment, LessonProgress
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
