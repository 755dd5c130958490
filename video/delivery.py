"""Delivering a lesson's HLS rendition set to one viewer: playlists, key, segments, poster.

The player gets the master playlist's URL (``Transcode.player_sources``), signed for one
viewer and one lesson by learning.streaming's token (``?t=``: the browser's signed-in
user; ``?app=``: an app's user and API sign-in; both expire after VIDEO_URL_MAX_AGE).
Every answer hands the same token on, so the whole chain belongs to that viewer:

    master.m3u8   each media playlist line → its signed URL here
    540p.m3u8     ``URI="key"`` → the signed key URL; each segment → by VIDEO_DELIVERY:
                  direct/nginx: the signed segment URL here; s3: a presigned S3 URL of the
                  object itself (computed locally, valid VIDEO_URL_MAX_AGE: no request
                  through Lectern per segment)
    key           the run's 16-byte AES key, from the database (never in storage)
    540p_00000.ts the encrypted segment: Django with Range, or nginx's X-Accel-Redirect
    poster.jpg    the poster frame, delivered like a segment

Playlists and the key are answered only after the full check (a valid link, and a viewer
who may watch the lesson — enrolled, free preview, its instructor, staff —, the lesson
open to them in a paced course, and the run is the lesson's current, ready one) and are
never cached (``no-store``: they embed the viewer's signature, and the key is the
secret). Segments and the poster get a cheaper check (see ``segment_response``), except
in a paced course.
"""

import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse

from catalog.models import Course
from learning import streaming
from learning.access import can_watch, lessons_with_enrollment
from learning.pacing import refuse_if_locked
from video.models import Transcode, run_prefix
from video.services import storage

PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
SEGMENT_TYPE = "video/mp2t"
POSTER_TYPE = "image/jpeg"
KEY_TYPE = "application/octet-stream"
# What the transcoder names a segment (video.transcode: "<rung>_%05d.ts").
SEGMENT_NAME = re.compile(r"[0-9a-z]+_[0-9]{5,}")
KEY_URI = 'URI="key"'

LINK_REFUSED = "This video link has expired or is not yours. Reload the page."
NOT_CURRENT = "This video was replaced or is not ready yet. Reload the page."


# --- Checks -----------------------------------------------------------------------------
def watchable_transcode(request, *, lesson_pk: int, run: str) -> Transcode:
    """The lesson's rendition set, if this request's link is valid, its viewer may watch
    the lesson, and ``run`` is the set's current run and ready.

    403 for a missing, tampered, expired or someone else's link and for a viewer who may
    not watch; 404 for an unknown lesson or a run that is not (or no longer) the ready
    one. The viewer and the token are checked before the database; then one query (the
    lesson, its course, "enrolled?" and the set).
    """
    viewer = streaming.viewer(request, lesson_pk=lesson_pk)
    if viewer is None:
        raise PermissionDenied(LINK_REFUSED)
    lesson = (
        lessons_with_enrollment(viewer).select_related("transcode").filter(pk=lesson_pk).first()
    )
    if lesson is None:
        raise Http404("No such lesson.")
    if not can_watch(viewer, lesson, enrolled=lesson.enrolled):
        raise PermissionDenied("Enrol in the course to watch this lesson.")
    # A lesson of a paced course that is not open to this viewer yet (one more query,
    # for paced courses only), checked now: a link made before it closed opens nothing.
    refuse_if_locked(viewer, lesson)
    transcode = getattr(lesson, "transcode", None)
    if transcode is None or transcode.run != run or not transcode.is_ready:
        raise Http404(NOT_CURRENT)
    return transcode


def current_run_pacing(lesson_pk: int, run: str) -> str | None:
    """The pacing of the lesson's course if ``run`` is its current, ready run, else None
    (one query)."""
    return (
        Transcode.objects.filter(lesson_id=lesson_pk, run=run, status=Transcode.Status.READY)
        .values_list("lesson__section__course__pacing", flat=True)
        .first()
    )


# --- Playlists --------------------------------------------------------------------------
def _url(name: str, transcode: Transcode, *args, query: str) -> str:
    return f"{reverse(name, args=[transcode.lesson_id, transcode.run, *args])}?{query}"


def _stored_text(name: str) -> str:
    try:
        with storage().open(name, "rb") as handle:
            return handle.read().decode()
    except FileNotFoundError:
        raise Http404(NOT_CURRENT) from None


def master_playlist(transcode: Transcode, *, query: str) -> str:
    """The stored master playlist with each media playlist's signed URL."""
    known = {rendition["playlist"] for rendition in transcode.renditions}
    lines = []
    for line in _stored_text(transcode.prefix + "master.m3u8").splitlines():
        if line and not line.startswith("#"):
            if line not in known:  # pragma: no cover - the transcoder wrote both
                raise Http404(NOT_CURRENT)
            line = _url("video:playlist", transcode, line.removesuffix(".m3u8"), query=query)
        lines.append(line)
    return "\n".join(lines) + "\n"


def media_playlist(transcode: Transcode, name: str, *, query: str) -> str:
    """The stored media playlist ``name`` (e.g. "540p") with the signed key URL and
    each segment's URL for this viewer (see the module's docstring)."""
    if f"{name}.m3u8" not in {rendition["playlist"] for rendition in transcode.renditions}:
        raise Http404("No such rendition.")
    key_uri = f'URI="{_url("video:key", transcode, query=query)}"'
    presign = settings.VIDEO_DELIVERY == "s3"
    store = storage()
    lines = []
    for line in _stored_text(f"{transcode.prefix}{name}.m3u8").splitlines():
        if line.startswith("#EXT-X-KEY:"):
            line = line.replace(KEY_URI, key_uri)
        elif line and not line.startswith("#"):
            segment = line.removesuffix(".ts")
            if presign:
                # The object itself, signed for VIDEO_URL_MAX_AGE: the playlist is fetched
                # once per playback, its segments over the lesson's whole length.
                line = store.url(
                    transcode.prefix + line,
                    parameters={"ResponseContentType": SEGMENT_TYPE},
                    expire=settings.VIDEO_URL_MAX_AGE,
                )
            else:
                line = _url("video:segment", transcode, segment, query=query)
        lines.append(line)
    return "\n".join(lines) + "\n"


def playlist_response(text: str) -> HttpResponse:
    return _no_store(HttpResponse(text, content_type=PLAYLIST_TYPE))


def key_response(transcode: Transcode) -> HttpResponse:
    return _no_store(HttpResponse(bytes(transcode.key), content_type=KEY_TYPE))


def _no_store(response: HttpResponse) -> HttpResponse:
    # Per viewer (signed URLs inside) or secret (the key): no cache may keep them.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Segments and the poster ------------------------------------------------------------
def segment_response(request, *, lesson_pk: int, run: str, name: str) -> HttpResponse:
    """An encrypted segment of the current run, for the viewer the link was signed for.

    No entitlement query here: a segment is AES-128 encrypted and useless without the
    key, which only ``watchable_transcode``'s full check hands out. The link must still
    be valid, unexpired and this viewer's (``signed_for_session``: no user query), and
    the run the current ready one (one query) — so a copied or old playlist gets
    nothing. In a paced course a lesson may close to a viewer (learning.pacing), so
    there a segment gets the full check, lock included.
    """
    if not SEGMENT_NAME.fullmatch(name):
        raise Http404("No such segment.")
    return _run_file_response(
        request, lesson_pk=lesson_pk, run=run, name=f"{name}.ts", content_type=SEGMENT_TYPE
    )


def poster_response(request, *, lesson_pk: int, run: str) -> HttpResponse:
    """The poster frame, checked and delivered like a segment (a frame of the lesson)."""
    return _run_file_response(
        request, lesson_pk=lesson_pk, run=run, name="poster.jpg", content_type=POSTER_TYPE
    )


def _run_file_response(request, *, lesson_pk, run, name, content_type) -> HttpResponse:
    if not streaming.signed_for_session(request, lesson_pk=lesson_pk):
        raise PermissionDenied(LINK_REFUSED)
    pacing = current_run_pacing(lesson_pk, run)
    if pacing is None:
        raise Http404(NOT_CURRENT)
    if pacing != Course.Pacing.FREE:  # lessons may close: the full check, lock included
        watchable_transcode(request, lesson_pk=lesson_pk, run=run)
    stored = run_prefix(lesson_pk, run) + name
    try:
        return streaming.stored_file_response(request, storage(), stored, content_type=content_type)
    except FileNotFoundError:  # direct delivery of a file that is not there (no poster)
        raise Http404("No such file.") from None
