"""Protected video delivery: signed, short-lived URLs and HTTP Range responses.

The player's <video> points at ``learning:stream`` with a signature bound to the viewer
and the lesson (``?t=``: valid only with the viewer's own browser session). Apps have no
session cookie: the API hands out ``?app=`` URLs that name their viewer and the API
sign-in they were made for, valid while that sign-in lasts (``app_stream_url``). The view
checks the signature and the entitlement, then either serves
the bytes itself (Range support: seeking works), or hands off to nginx with
``X-Accel-Redirect``, or redirects to a short-lived signed S3 URL (``VIDEO_DELIVERY``).

The same token signs every media URL of the lesson: the HLS rendition set's playlists,
key, segments and poster (served by the video app, video.delivery) are reached with it,
and ``player_sources`` gives the player their URLs once the set is ready.
"""

import mimetypes
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import signing
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import reverse

from lms.lib.api import token_session_user, token_session_user_id

SIGNING_SALT = "lectern.learning.stream"
# A different salt: a browser's ?t= token can never pass as an app's, nor the reverse.
APP_SIGNING_SALT = "lectern.learning.stream.app"
CHUNK = 64 * 1024
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def viewer_key(user) -> str:
    return str(user.pk) if user.is_authenticated else "anon"


def signed_query(*, user, lesson) -> str:
    """The query string (``t=…``) that lets only ``user``'s browser open ``lesson``'s
    media URLs (the video, its HLS playlists, key and segments, captions, poster) for
    ``VIDEO_URL_MAX_AGE`` seconds. ``viewer()`` checks it."""
    token = signing.TimestampSigner(salt=SIGNING_SALT).sign(f"{viewer_key(user)}:{lesson.pk}")
    return urlencode({"t": token})


def stream_url(*, user, lesson) -> str:
    """A URL for ``lesson``'s video that only ``user`` can use, for a few minutes."""
    return (
        reverse("learning:stream", args=[lesson.pk]) + "?" + signed_query(user=user, lesson=lesson)
    )


def _signed_viewer(token: str) -> str | None:
    """The "viewer:lesson" a browser token was signed for, None if tampered or expired."""
    try:
        return signing.TimestampSigner(salt=SIGNING_SALT).unsign(
            token, max_age=settings.VIDEO_URL_MAX_AGE
        )
    except signing.BadSignature:  # tampered or expired (SignatureExpired is a subclass)
        return None


def signature_is_valid(token: str, *, user, lesson_pk: int) -> bool:
    return _signed_viewer(token) == f"{viewer_key(user)}:{lesson_pk}"


def app_stream_url(*, user, lesson, session_id: str) -> str:
    """A URL for ``lesson``'s video that plays without cookies (for apps), for a few
    minutes, as ``user``: with the same rights as ``user``, checked at every request,
    and only while ``user`` stays signed in to the API session ``session_id`` (the access
    token's ``sid``: logging out, a password change or ending the session ends the URL).
    """
    query = app_signed_query(user=user, lesson=lesson, session_id=session_id)
    return reverse("learning:stream", args=[lesson.pk]) + "?" + query


def app_signed_query(*, user, lesson, session_id: str) -> str:
    """The query string (``app=…``) of an app's media URLs for ``lesson`` (see
    ``app_stream_url``); ``viewer()`` checks it."""
    return urlencode(
        {"app": signing.dumps([user.pk, lesson.pk, session_id], salt=APP_SIGNING_SALT)}
    )


def _app_token(token: str, *, lesson_pk: int) -> tuple[int, str] | None:
    """(user pk, API session id) of an app's token for this lesson, unexpired and
    untampered; else None."""
    try:
        user_pk, signed_lesson_pk, session_id = signing.loads(
            token, salt=APP_SIGNING_SALT, max_age=settings.VIDEO_URL_MAX_AGE
        )
    except (signing.BadSignature, TypeError, ValueError):  # tampered, expired, malformed
        return None
    if signed_lesson_pk != lesson_pk or not isinstance(session_id, str):
        return None
    return user_pk, session_id


def app_viewer(token: str, *, lesson_pk: int):
    """The user an app's URL was made for, if it is for this lesson, unexpired and
    untampered, and its API sign-in is still live; else None."""
    signed = _app_token(token, lesson_pk=lesson_pk)
    if signed is None:
        return None
    user = token_session_user(signed[1])
    return user if user is not None and user.pk == signed[0] else None


def viewer(request, *, lesson_pk: int):
    """Who is watching through this request's link, or None when the link is not valid.

    ``?app=``: the user an app's URL names (no cookie needed). ``?t=``: the browser's
    signed-in user (or the anonymous visitor), if the link was signed for them.
    """
    if "app" in request.GET:
        return app_viewer(request.GET["app"], lesson_pk=lesson_pk)
    if signature_is_valid(request.GET.get("t", ""), user=request.user, lesson_pk=lesson_pk):
        return request.user
    return None


def signed_for_session(request, *, lesson_pk: int) -> bool:
    """``viewer()``'s question without loading the user (no query while the session is
    cached): is this request's link valid, unexpired, for this lesson, and signed for
    the user signed in to this browser session (``?t=``) or still signed in to the API
    session the app's link names (``?app=``)?

    Weaker than ``viewer()`` in one way: a session ended by a password change elsewhere
    still passes until the link expires (``get_user`` would have ended it). So it guards
    only bytes that are useless alone — the encrypted HLS segments — never a decision
    about rights or the key, which go through ``viewer()`` and the entitlement.
    """
    if "app" in request.GET:
        signed = _app_token(request.GET["app"], lesson_pk=lesson_pk)
        return signed is not None and token_session_user_id(signed[1]) == str(signed[0])
    session = getattr(request, "session", None)
    who = (session.get(SESSION_KEY) if session is not None else None) or "anon"
    return _signed_viewer(request.GET.get("t", "")) == f"{who}:{lesson_pk}"


def token_query(request) -> str:
    """This request's own signature as a query string (``t=…`` or ``app=…``, nothing
    else), for the URLs an answer hands on (an HLS playlist's key and segments): they
    belong to the same viewer and expire with the link that reached them."""
    if "app" in request.GET:
        return urlencode({"app": request.GET["app"]})
    return urlencode({"t": request.GET.get("t", "")})


def player_sources(lesson, *, query: str) -> dict:
    """What the player needs besides the original video: ``hls_url`` (the signed master
    playlist of the lesson's adaptive, encrypted HLS set) and ``poster_url``, both None
    until that set is ready (the player then plays the original file). ``query`` is the
    viewer's signature (``signed_query``/``app_signed_query``).

    The set is the video app's (video.models.Transcode, the lesson's ``transcode``): load
    the lesson with ``select_related("transcode")`` and this costs no query.
    """
    transcode = getattr(lesson, "transcode", None)  # None: no video, or not made yet
    if transcode is None:
        return {"hls_url": None, "poster_url": None}
    return transcode.player_sources(query=query)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class UnsatisfiableRange(Exception):
    pass


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single byte range asked for, None for the whole file.

    Raises UnsatisfiableRange for ranges outside the file or malformed ones (416).
    Multiple ranges are answered with the whole file, as RFC 9110 allows.
    """
    if not header:
        return None
    header = header.strip()
    if "," in header:
        return None
    match = RANGE_RE.match(header)
    if not match or (not match.group(1) and not match.group(2)):
        raise UnsatisfiableRange
    first, last = match.group(1), match.group(2)
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
        if start >= size or (last and int(last) < start):
            raise UnsatisfiableRange
    else:  # suffix: the last N bytes
        suffix = int(last)
        if suffix == 0:
            raise UnsatisfiableRange
        start, end = max(size - suffix, 0), size - 1
    return ByteRange(start, end)


def _read_range(handle, byte_range: ByteRange):
    try:
        handle.seek(byte_range.start)
        remaining = byte_range.length
        while remaining > 0:
            chunk = handle.read(min(CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        handle.close()


def content_type_for(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def video_response(request, field_file) -> HttpResponse:
    """Deliver ``field_file`` according to ``VIDEO_DELIVERY`` (the viewer is already checked)."""
    return stored_file_response(request, field_file.storage, field_file.name)


def stored_file_response(request, storage, name: str, *, content_type: str = "") -> HttpResponse:
    """Deliver the stored file ``name`` according to ``VIDEO_DELIVERY`` (the caller has
    checked the viewer): Django with Range support, nginx's ``X-Accel-Redirect`` or a
    redirect to a signed, short-lived S3 URL."""
    delivery = settings.VIDEO_DELIVERY
    if delivery == "nginx":
        response = HttpResponse(content_type=content_type or content_type_for(name))
        response["X-Accel-Redirect"] = settings.VIDEO_ACCEL_PREFIX.rstrip("/") + "/" + name
        response["X-Accel-Buffering"] = "no"
        return private(response)
    if delivery == "s3":
        response = HttpResponse(status=302)
        parameters = {"ResponseContentType": content_type} if content_type else None
        response["Location"] = storage.url(name, parameters=parameters)  # signed, short-lived
        return private(response)
    return ranged_file_response(request, storage, name, content_type=content_type)


def ranged_response(request, field_file) -> HttpResponse:
    return ranged_file_response(request, field_file.storage, field_file.name)


def ranged_file_response(request, storage, name: str, *, content_type: str = "") -> HttpResponse:
    """The stored file ``name`` with HTTP Range support (206, 416), marked private."""
    size = storage.size(name)
    content_type = content_type or content_type_for(name)
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except UnsatisfiableRange:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return private(response)
    handle = storage.open(name, "rb")
    if byte_range is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        response = StreamingHttpResponse(
            _read_range(handle, byte_range), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
        response["Content-Length"] = str(byte_range.length)
    response["Accept-Ranges"] = "bytes"
    return private(response)


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response
