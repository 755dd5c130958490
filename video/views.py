"""The HLS rendition set for one viewer (video.delivery): playlists, key, segments, poster.

Every URL carries the viewer's signed token (``?t=`` or ``?app=``, learning.streaming)."""

from django.views.decorators.http import require_safe

from learning import streaming
from video import delivery


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
