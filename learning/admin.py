from django.contrib import admin

from learning.models import Enrollment, LessonProgress


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
