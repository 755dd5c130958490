"""The admin's scoping and ordering mixins for course authoring.

``AuthoredByMixin`` scopes an admin or inline to the courses the user may author, for
lists, change/delete pages, direct URLs, foreign-key choices, autocomplete and actions,
using the same ``Course.objects.editable_by(user)`` the public views use.
``MoveViewMixin`` and ``move_buttons`` give sections and lessons their ↑/↓ order.
"""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from catalog.models import Course, Section, of_editable_courses
from catalog.templatetags.catalog_tags import clock


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


def duration_column(field: str, *, unsaved: str = "—"):
    """A "Duration" column or read-only field showing ``field`` (seconds) as a clock."""

    @admin.display(description="Duration", ordering=field)
    def display(model_admin, obj):
        return clock(getattr(obj, field)) if obj.pk else unsaved

    return display
