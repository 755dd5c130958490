from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Lesson
from catalog.views import get_visible_course
from learning import streaming
from learning.access import can_watch


def get_lesson(lesson_pk: int) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("section__course__instructor"), pk=lesson_pk
    )


@require_GET
def preview(request, course_slug: str, lesson_pk: int):
    """A free-preview lesson, playable without enrolling."""
    course = get_visible_course(request.user, course_slug)
    lesson = get_lesson(lesson_pk)
    if lesson.section.course_id != course.pk or not lesson.video:
        raise Http404("No such lesson.")
    if not can_watch(request.user, lesson):
        raise PermissionDenied("Enrol in the course to watch this lesson.")
    return render(
        request,
        "learning/preview.html",
        {
            "course": course,
            "lesson": lesson,
            "video_url": streaming.stream_url(user=request.user, lesson=lesson),
        },
    )


@require_http_methods(["GET", "HEAD"])
def stream(request, lesson_pk: int):
    """The video bytes, for a viewer with a valid signed URL and the right to watch."""
    lesson = get_lesson(lesson_pk)
    if not lesson.video:
        raise Http404("This lesson has no video.")
    token = request.GET.get("t", "")
    if not streaming.signature_is_valid(token, user=request.user, lesson=lesson):
        raise PermissionDenied("This video link has expired or is not yours. Reload the page.")
    if not can_watch(request.user, lesson):
        raise PermissionDenied("Enrol in the course to watch this lesson.")
    return streaming.video_response(request, lesson.video)
