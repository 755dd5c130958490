"""What the video app serves to one viewer, each URL carrying the viewer's signed token
(``?t=`` or ``?app=``, learning.streaming): a lesson's captions, and its HLS rendition
set (video.delivery: playlists, key, segments, poster)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_safe

from learning import streaming
from learning.access import can_watch, enrolled_in
from learning.pacing import refuse_if_locked
from video import delivery
from video.models import Caption


@require_safe
def caption(request, lesson_pk: int, language: str):
    """A lesson's WebVTT captions, for the viewer a signed link names (the video's own
    ``?t=`` or ``?app=`` token) who may watch the lesson: learning.views.stream's rule.

    The signature is checked first (a forged or expired link costs no query); the caption
    with its lesson, course and "enrolled?" then come in one query. The file was stored
    as checked (``video.captions``), so it is sent as it is, from Django whatever
    ``VIDEO_DELIVERY`` says: a ``<track>`` must be same-origin, and captions are small.
    """
    viewer = streaming.viewer(request, lesson_pk=lesson_pk)
    if viewer is None:
        raise PermissionDenied("This captions link has expired or is not yours. Reload the page.")
    found = get_object_or_404(
        Caption.objects.select_related("lesson__section__course").annotate(
            enrolled=enrolled_in(viewer, "lesson__section__course")
        ),
        lesson=lesson_pk,
        language=language,
    )
    if not can_watch(viewer, found.lesson, enrolled=found.enrolled):
        raise PermissionDenied("Enrol in the course to watch this lesson.")
    refuse_if_locked(viewer, found.lesson)  # paced courses only: one more query
    try:
        with found.file.storage.open(found.file.name, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:  # lost from storage: the integrity check reports it
        raise Http404("These captions are missing.") from None
    response = HttpResponse(content, content_type="text/vtt; charset=utf-8")
    return streaming.private(response)


@require_safe
def master_playlist(request, lesson_pk: int, run: str):
    transcode = delivery.watchable_transcode(request, lesson_pk=lesson_pk, run=run)
    query = streaming.token_query(request)
    return delivery.playlist_response(delivery.master_playlist(transcode, query=query))


@require_safe
def media_playlist(request, lesson_pk: int, run: str, name: str):
    transcode = delivery.watchable_transcode(request, lesson_pk=lesson_pk, run=run)
    query = streaming.token_query(request)
    return delivery.playlist_response(delivery.media_playlist(transcode, name, query=query))


@require_safe
def key(request, lesson_pk: int, run: str):
    """The run's AES-128 key: for an entitled viewer's own, unexpired link only."""
    transcode = delivery.watchable_transcode(request, lesson_pk=lesson_pk, run=run)
    return delivery.key_response(transcode)


@require_safe
def segment(request, lesson_pk: int, run: str, name: str):
    return delivery.segment_response(request, lesson_pk=lesson_pk, run=run, name=name)


@require_safe
def poster(request, lesson_pk: int, run: str):
    return delivery.poster_response(request, lesson_pk=lesson_pk, run=run)
