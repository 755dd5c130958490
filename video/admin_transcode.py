"""What the lesson admin shows of its video's rendition set: state, progress, why it
failed, and "Try again"."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from video import services
from video.models import Transcode


class TranscodeAdminMixin:
    """For catalog's LessonAdmin: the "Streaming" read-only field (live while the job
    runs), a "Streaming" list column, the retry view and a bulk action."""

    streaming_fields = ["streaming"]

    class Media:
        js = ["vendor/htmx-2.0.11.min.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("transcode")

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.streaming_fields]

    def get_urls(self):
        return [
            path(
                "<int:pk>/streaming/",
                self.admin_site.admin_view(self.streaming_view),
                name="catalog_lesson_streaming",
            ),
            path(
                "<int:pk>/streaming/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="catalog_lesson_streaming_retry",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Streaming")
    def streaming(self, obj):
        return render_to_string(
            "admin/video/streaming.html", {"lesson": obj, "transcode": _transcode_of(obj)}
        )

    @admin.display(description="Streaming")
    def streaming_state(self, obj):
        row = _transcode_of(obj)
        if row is None:
            return "—"
        if row.status == Transcode.Status.RUNNING:
            return f"{row.get_status_display()} {row.progress} %"
        return row.get_status_display()

    def _lesson(self, request, pk):
        lesson = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, lesson):
            raise Http404
        return lesson

    def streaming_view(self, request, pk):
        """The "Streaming" field alone, polled by the change page while the job runs."""
        return require_safe(self._streaming)(request, pk)

    def _streaming(self, request, pk):
        return HttpResponse(self.streaming(self._lesson(request, pk)))

    def retry_view(self, request, pk):
        return require_POST(self._retry)(request, pk)

    def _retry(self, request, pk):
        lesson = self._lesson(request, pk)
        if not self.has_change_permission(request, lesson):
            raise Http404
        row = _transcode_of(lesson)
        if row is None or row.status in (Transcode.Status.READY, Transcode.Status.RUNNING):
            messages.info(request, "There is nothing to try again: the video is not failed.")
        else:
            services.retry(row)
            messages.success(request, f"“{lesson}”: the video is queued to be prepared again.")
        return HttpResponseRedirect(
            reverse(f"admin:{lesson._meta.app_label}_{lesson._meta.model_name}_change", args=[pk])
        )

    @admin.action(
        description="Prepare the selected videos for streaming again", permissions=["change"]
    )
    def prepare_again(self, request, queryset):
        queued = 0
        for lesson in queryset.select_related("transcode"):
            row = _transcode_of(lesson)
            if row is not None and row.status != Transcode.Status.RUNNING:
                services.retry(row)
                queued += 1
        self.message_user(request, f"{queued} video(s) queued.", messages.SUCCESS)


def _transcode_of(lesson):
    try:
        return lesson.transcode
    except Transcode.DoesNotExist:
        return None


def builder_badges(lessons) -> dict:
    """catalog.builder's lesson state for the curriculum builder: where each lesson's
    video is on its way to streaming (one query for every lesson shown)."""
    from catalog.builder import LessonBadge

    badges = {}
    wanted = {lesson.pk for lesson in lessons}
    # By section: a few query parameters however many lessons (a 600-lesson course).
    rows = Transcode.objects.filter(
        lesson__section__in={lesson.section_id for lesson in lessons}
    ).values_list("lesson_id", "status", "progress", "error", "publish_when_ready")
    for lesson_pk, status, progress, error, publish_when_ready in rows:
        if lesson_pk not in wanted:
            continue
        reason = error if len(error) <= 160 else error[:159] + "…"
        if status == Transcode.Status.QUEUED:
            found = [LessonBadge("Video queued for streaming", "busy", reason)]
        elif status == Transcode.Status.RUNNING:
            found = [LessonBadge(f"Preparing video {progress} %", "busy")]
        elif status == Transcode.Status.READY:
            found = [LessonBadge("Streaming ready", "ok")]
        else:
            found = [LessonBadge("Video failed", "error", reason)]
        if publish_when_ready:
            found.append(LessonBadge("Publishes itself when the video is ready", "info"))
        badges[lesson_pk] = found
    return badges
