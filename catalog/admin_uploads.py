"""Uploading many lesson videos at once from the curriculum builder: one lesson per file,
each with its own progress; straight to the bucket (presigned POST) with S3 storage.

Owned by the uploads work: its views are added to CourseAdmin's URLs here; its drop zone
is ``admin/catalog/course/upload.html``, included by the builder once per section with
``course`` and ``section`` in the context. When a file has become a lesson the script
dispatches ``curriculum-changed`` on ``document.body``; the builder reloads itself.

URL names (POST only, CSRF-checked, under the course's admin URL
``admin/catalog/course/<course_id>/curriculum/sections/<section_id>/upload/``):

- ``admin:catalog_course_upload``: the file itself (local storage), ``file`` and ``title``;
  without JavaScript the drop zone's form posts several ``file``s here and is redirected
  back to the course with a message per file.
- ``admin:catalog_course_upload_sign``: ``filename``, ``size``, ``content_type``, ``title``
  → a presigned POST to the bucket (S3 storage).
- ``admin:catalog_course_upload_complete``: ``key``, ``title`` → the lesson, once the
  browser has sent the file to the bucket.

The script's answers are JSON: the lesson (``lesson_answer``) or ``{"error": message}``
with status 400. Another instructor's course or section is a 404, like every admin URL.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from catalog import uploads
from catalog.models import Lesson, Section
from catalog.templatetags.catalog_tags import clock
from lms.lib.files import ensure_room


def lesson_answer(lesson: Lesson) -> dict:
    return {
        "id": lesson.pk,
        "title": lesson.title,
        "duration": lesson.duration,
        "duration_text": clock(lesson.duration),
        # False also when the course's lessons wait for their video to be prepared.
        "published": lesson.is_published,
        "url": reverse("admin:catalog_lesson_change", args=[lesson.pk]),
    }


def refusal(error: ValidationError, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": " ".join(error.messages)}, status=status)


def wants_json(request) -> bool:
    """The upload script asks for JSON; a form posted without JavaScript for a page."""
    return request.headers.get("Accept", "").startswith("application/json")


class BulkUploadMixin:
    @property
    def media(self):
        return super().media + forms.Media(
            js=["catalog/bulk-upload.js"], css={"all": ["catalog/bulk-upload.css"]}
        )

    def get_urls(self):
        prefix = "<int:course_id>/curriculum/sections/<int:section_id>/upload/"
        view = self.admin_site.admin_view
        return [
            path(prefix, view(self.upload_view), name="catalog_course_upload"),
            path(f"{prefix}sign/", view(self.upload_sign_view), name="catalog_course_upload_sign"),
            path(
                f"{prefix}complete/",
                view(self.upload_complete_view),
                name="catalog_course_upload_complete",
            ),
            *super().get_urls(),
        ]

    def upload_section(self, request, course_id: int, section_id: int) -> Section:
        """The section, if its course is one ``request.user`` may author and add lessons
        to (through this admin's scoped queryset), else 404."""
        course = get_object_or_404(self.get_queryset(request), pk=course_id)
        if not (
            self.has_change_permission(request, course)
            and request.user.has_perm("catalog.add_lesson")
        ):
            raise Http404("No such course among yours.")
        section = get_object_or_404(Section.objects.filter(course=course), pk=section_id)
        section.course = course
        return section

    def upload_view(self, request, course_id, section_id):
        return require_POST(self._upload)(request, course_id, section_id)

    def upload_sign_view(self, request, course_id, section_id):
        return require_POST(self._sign)(request, course_id, section_id)

    def upload_complete_view(self, request, course_id, section_id):
        return require_POST(self._complete)(request, course_id, section_id)

    def _upload(self, request, course_id, section_id):
        section = self.upload_section(request, course_id, section_id)
        files = request.FILES.getlist("file")
        if not wants_json(request):
            return self._upload_without_script(request, section, files)
        if len(files) != 1:
            return refusal(ValidationError("Send one video file."))
        try:
            lesson = uploads.accept_upload(
                section=section, file=files[0], user=request.user, title=request.POST.get("title")
            )
        except ValidationError as error:
            return refusal(error)
        return JsonResponse(lesson_answer(lesson))

    def _upload_without_script(self, request, section, files):
        """The drop zone's form posted by the browser itself: each file a lesson (titled
        after its name) or a message saying why not; back to the course page."""
        back = HttpResponseRedirect(
            reverse("admin:catalog_course_change", args=[section.course_id])
        )
        if not files:
            messages.error(request, "Choose one or more video files to upload.")
            return back
        try:
            ensure_room(uploads.video_storage(), files)  # together, not only one by one
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return back
        for file in files:
            name = file.name
            try:
                lesson = uploads.accept_upload(section=section, file=file, user=request.user)
            except ValidationError as error:
                messages.error(request, f"“{name}” was not added: {' '.join(error.messages)}")
            else:
                messages.success(request, f"“{lesson}” added to “{section}”.")
        return back

    def _sign(self, request, course_id, section_id):
        section = self.upload_section(request, course_id, section_id)
        filename = request.POST.get("filename", "")
        try:
            size = int(request.POST.get("size", ""))
        except ValueError:
            return refusal(ValidationError("The file's size is missing."))
        try:
            signed = uploads.sign_upload(
                section=section,
                user=request.user,
                filename=filename,
                size=size,
                content_type=request.POST.get("content_type", ""),
                title=request.POST.get("title", ""),
            )
        except ValidationError as error:
            return refusal(error)
        return JsonResponse({"key": signed.key, "url": signed.url, "fields": signed.fields})

    def _complete(self, request, course_id, section_id):
        section = self.upload_section(request, course_id, section_id)
        try:
            lesson = uploads.complete_upload(
                section=section,
                key=request.POST.get("key", ""),
                user=request.user,
                title=request.POST.get("title", ""),
            )
        except ValidationError as error:
            return refusal(error)
        return JsonResponse(lesson_answer(lesson))
