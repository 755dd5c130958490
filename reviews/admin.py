"""Moderation: staff see reported reviews first, hide/unhide them with a reason."""

from django.contrib import admin, messages
from django.db import transaction

from lms.lib.admin_actions import with_reason
from reviews import services
from reviews.models import Review, ReviewReport


class ReviewReportInline(admin.TabularInline):
    model = ReviewReport
    extra = 0
    can_delete = False
    fields = ["user", "reason", "details", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ReportedFilter(admin.SimpleListFilter):
    title = "reported"
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return [("yes", "Reported"), ("no", "Not reported")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(report_count__gt=0)
        if self.value() == "no":
            return queryset.filter(report_count=0)
        return queryset


def is_moderator(request) -> bool:
    return request.user.is_active and request.user.can_moderate


class ModeratorsOnly:
    def has_module_permission(self, request):
        return is_moderator(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return is_moderator(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_moderator(request) and super().has_change_permission(request, obj)


@admin.register(Review)
class ReviewAdmin(ModeratorsOnly, admin.ModelAdmin):
    list_display = [
        "short_text",
        "course",
        "user",
        "rating",
        "report_count",
        "helpful_count",
        "is_hidden",
        "created_at",
    ]
    list_filter = ["is_hidden", "rating", ReportedFilter]
    list_select_related = ["course", "user"]
    search_fields = ["text", "user__email", "course__title"]
    ordering = ["-report_count", "-created_at"]  # reported first
    readonly_fields = [
        "user",
        "course",
        "rating",
        "text",
        "created_at",
        "updated_at",
        "report_count",
        "helpful_count",
        "is_hidden",
        "hidden_reason",
        "hidden_by",
        "hidden_at",
        "reply",
        "replied_at",
    ]
    inlines = [ReviewReportInline]
    actions = ["hide", "unhide"]

    def has_add_permission(self, request):
        return False

    # Deleting, one or many, recomputes each course's rating in the same transaction.
    def delete_model(self, request, obj):
        services.delete_review(review=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for review in queryset.select_related("course"):
            services.delete_review(review=review)

    @admin.display(description="Review")
    def short_text(self, obj):
        return (obj.text[:60] + "…") if len(obj.text) > 60 else (obj.text or "(rating only)")

    @admin.action(
        description="Hide the selected reviews (asks for a reason)", permissions=["change"]
    )
    def hide(self, request, queryset):
        return with_reason(
            self,
            request,
            queryset.select_related("user", "course"),  # each review is listed by name
            action="hide",
            title="Hide reviews",
            label="Reason (shown to the author)",
            initial="It breaks the review guidelines.",
            explanation="Hidden reviews leave the course page and the course's rating. "
            "Their authors see that staff hid them, with the reason below.",
            apply=lambda review, reason: services.set_hidden(
                review=review, hidden=True, by=request.user, reason=reason
            ),
            detail=lambda review: review.text or "(rating only, no text)",
        )

    @admin.action(description="Unhide the selected reviews", permissions=["change"])
    def unhide(self, request, queryset):
        changed = sum(
            services.set_hidden(review=review, hidden=False, by=request.user) for review in queryset
        )
        self.message_user(request, f"{changed} review(s) visible again.", messages.SUCCESS)


@admin.register(ReviewReport)
class ReviewReportAdmin(ModeratorsOnly, admin.ModelAdmin):
    list_display = ["review", "reason", "user", "created_at"]
    list_select_related = ["review__course", "review__user", "user"]
    list_filter = ["reason"]
    readonly_fields = ["review", "user", "reason", "details", "created_at"]

    def has_add_permission(self, request):
        return False

    # Deleting, one or many, lowers the reviews' report counts.
    def delete_model(self, request, obj):
        services.delete_report(report=obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for report in queryset:
            services.delete_report(report=report)
