"""The course page's tools beside the builder: the publish checklist and duplicating a
course. (The instructor's view of a course's students lives in analytics, which reads
enrolments; the course page links to it.)

Owned by the checklist/duplicate work: its views are added to CourseAdmin's URLs here;
its markup is ``admin/catalog/course/checklist.html``. The checklist sits inside the
course's form, so its buttons submit a form of their own (``lectern-course-tools``,
outside it, carrying the CSRF token) through ``form``/``formaction`` attributes. URL
names, all POST, under the course's admin URL:

- ``admin:catalog_course_publish`` / ``admin:catalog_course_unpublish``
- ``admin:catalog_course_keep_free``: the checklist's "Keep it free" (price 0, decided)
- ``admin:catalog_course_duplicate``: a draft copy (``catalog.duplicate``)

Each answers someone else's course id with a 404, as the change page does.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from catalog.duplicate import duplicate_course
from catalog.models import Course, Lesson
from lms.lib.files import is_out_of_room


class CourseToolsMixin:
    def get_urls(self):
        tools = [
            ("publish", self.publish_view),
            ("unpublish", self.unpublish_view),
            ("keep-free", self.keep_free_view),
            ("duplicate", self.duplicate_view),
        ]
        return [
            path(
                f"<int:object_id>/{slug}/",
                self.admin_site.admin_view(require_POST(view)),
                name=f"catalog_course_{slug.replace('-', '_')}",
            )
            for slug, view in tools
        ] + super().get_urls()

    @property
    def media(self):
        return super().media + forms.Media(
            css={"all": ["catalog/course-tools.css"]}, js=["catalog/course-tools.js"]
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk:
            # The course as saved (a refused POST's instance holds the refused values):
            # what the Publish button would publish.
            saved = obj if request.method == "GET" else Course.objects.get(pk=obj.pk)
            context["course_tools"] = self.course_tools_context(request, saved)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def course_tools_context(self, request, course: Course) -> dict:
        """What checklist.html shows of ``course`` as saved (the builder sends it again
        after each of its changes: a published lesson ticks the first item)."""
        items = course.publish_checklist()
        missing = [item for item in items if not item.done]
        return {
            "course": course,
            "items": items,
            "missing": missing,
            "done": len(items) - len(missing),
            "may_duplicate": self.has_add_permission(request),
        }

    # --- The views --------------------------------------------------------------------
    def _tool_course(self, request, object_id) -> Course:
        """The user's own course (any course for staff), else 404."""
        course = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, course):
            raise Http404("No such course among yours.")
        return course

    def _back(self, course) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:catalog_course_change", args=[course.pk]))

    def publish_view(self, request, object_id):
        course = self._tool_course(request, object_id)
        if course.is_published:
            self.message_user(request, f"“{course}” is already published.", messages.INFO)
            return self._back(course)
        try:
            with transaction.atomic():
                course.publish()
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                format_html(
                    "“{}” is published: students can find it in the catalog. "
                    '<a href="{}" target="_blank" rel="noopener">See its page ↗</a>',
                    course,
                    course.get_absolute_url(),
                ),
                messages.SUCCESS,
            )
        return self._back(course)

    def unpublish_view(self, request, object_id):
        course = self._tool_course(request, object_id)
        if course.is_published:
            course.unpublish()
            self.message_user(
                request,
                f"“{course}” is a draft again: it left the catalog. Enrolled students "
                "keep their access and progress.",
                messages.SUCCESS,
            )
        else:
            self.message_user(request, f"“{course}” is already a draft.", messages.INFO)
        return self._back(course)

    def keep_free_view(self, request, object_id):
        course = self._tool_course(request, object_id)
        if course.price_decided:
            # A stale page or a second click: never turn a priced course free unasked.
            self.message_user(
                request,
                f"The price of “{course}” was already decided ({course.price}). "
                "To change it, edit the Price field and save.",
                messages.WARNING,
            )
        else:
            course.keep_free()
            self.message_user(
                request, f"“{course}” is free (price 0): the price is decided.", messages.SUCCESS
            )
        return self._back(course)

    def duplicate_view(self, request, object_id):
        course = self._tool_course(request, object_id)
        copy = self._duplicate(request, course)
        return self._back(copy or course)

    @admin.action(description="Duplicate the selected courses (as drafts)", permissions=["add"])
    def duplicate(self, request, queryset):
        copies = [copy for course in queryset if (copy := self._duplicate(request, course))]
        if len(copies) == 1:
            return self._back(copies[0])
        return None

    def _duplicate(self, request, course) -> Course | None:
        """Copy ``course``, saying how it went; None (nothing written) if it failed."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            copy = duplicate_course(course, by=request.user)
        except ValidationError as error:  # no room on the local disk
            self.message_user(
                request, f"“{course}” was not copied: {' '.join(error.messages)}", messages.ERROR
            )
            return None
        except OSError as error:
            reason = (
                "the server ran out of room while copying its videos"
                if is_out_of_room(error)
                else f"one of its files could not be copied ({error.strerror or error})"
            )
            self.message_user(
                request,
                f"“{course}” was not copied: {reason}. Nothing was saved; please tell the "
                "Lectern team if this happens again.",
                messages.ERROR,
            )
            return None
        has_videos = Lesson.objects.filter(section__course=copy).exclude(video="").exists()
        videos = "; its videos are being prepared for streaming again" if has_videos else ""
        self.message_user(
            request,
            format_html(
                '“{}” was copied to the draft <a href="{}">“{}”</a>, without students or '
                "reviews{}.",
                course,
                reverse("admin:catalog_course_change", args=[copy.pk]),
                copy,
                videos,
            ),
            messages.SUCCESS,
        )
        return copy
