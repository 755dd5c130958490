from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts import services
from accounts.models import InstructorApplication, Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["display_name", "about", "date_of_birth", "gender", "phone", "avatar"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Email-based user admin. ``is_staff`` and role groups follow ``role`` (see set_role)."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "is_active", "date_joined"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined", "is_staff"]
    inlines = [ProfileInline]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Role", {"fields": ["role", "is_active", "is_staff", "is_superuser"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2", "role"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields.append("is_superuser")
        return fields

    # Staff rights are a superuser's to give and to change. Django's password view,
    # the delete view and bulk actions all ask these two methods about the account.
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.may_be_changed_by(request.user))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.may_be_changed_by(request.user))

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        """The staff role (and with it is_staff and the Staff group) only from a superuser."""
        if db_field.name == "role" and not request.user.is_superuser:
            kwargs["choices"] = [c for c in User.Role.choices if c[0] != User.Role.STAFF]
            kwargs["error_messages"] = {
                "invalid_choice": "Only a superuser can give the staff role."
            }
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "role" in form.changed_data or not change:
            obj.set_role(obj.role)


@admin.register(InstructorApplication)
class InstructorApplicationAdmin(admin.ModelAdmin):
    list_display = ["user", "status", "created_at", "decided_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["user", "decided_by"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    readonly_fields = ["user", "motivation", "status", "created_at", "decided_at", "decided_by"]
    fields = [
        "user",
        "motivation",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
        "decision_note",
    ]
    actions = ["approve", "reject"]

    def has_add_permission(self, request):
        return False

    def _decide(self, request, queryset, *, approve: bool):
        decided = sum(
            services.decide_application(application=app, approve=approve, by=request.user)
            for app in queryset
        )
        skipped = queryset.count() - decided
        verb = "approved" if approve else "rejected"
        self.message_user(request, f"{decided} application(s) {verb}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} application(s) were already decided and left as they were.",
                messages.WARNING,
            )

    @admin.action(description="Approve: make the applicants instructors", permissions=["change"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject the selected applications", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)
