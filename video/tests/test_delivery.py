"""HLS delivery through the real views: per-viewer signed playlists, the key only for an
entitled viewer's own unexpired link, segments and poster by VIDEO_DELIVERY, the player
and the API pointing at them. The whole chain decrypts and decodes."""

import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from accounts.tests.api_client import ApiClient
from catalog.models import Lesson
from catalog.tests.factories import published_course
from learning import services as learning
from learning import streaming
from learning.tests.player_page import player_of
from learning.tests.test_pages import PLAYER_QUERIES
from video import services
from video.delivery import PLAYLIST_TYPE
from video.tests.media import decode
from video.transcode import decrypt_segment

pytestmark = pytest.mark.django_db


# --- Fixtures and helpers ---------------------------------------------------------------
@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, sections=1, lessons=2, with_video=True)


@pytest.fixture
def preview(course, make_ready):
    lesson = Lesson.objects.filter(section__course=course).order_by("order").first()
    lesson.is_free_preview = True
    lesson.save()
    make_ready(lesson)
    return lesson


@pytest.fixture
def paid(course, make_ready):
    lesson = Lesson.objects.filter(section__course=course).order_by("order").last()
    make_ready(lesson)
    return lesson


@pytest.fixture
def enrolled(student, course):
    learning.enroll(user=student, course=course)
    return student


def sources(user, lesson) -> dict:
    """The player's URLs for ``user`` (as the lesson page gives them)."""
    lesson = Lesson.objects.select_related("transcode").get(pk=lesson.pk)
    query = streaming.signed_query(user=user, lesson=lesson)
    return streaming.player_sources(lesson, query=query)


def client_for(user) -> Client:
    client = Client()
    if user is not None and user.is_authenticated:
        client.force_login(user)
    return client


def uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def key_uri(playlist: str) -> str:
    (line,) = [line for line in playlist.splitlines() if line.startswith("#EXT-X-KEY:")]
    return re.search(r'URI="([^"]+)"', line).group(1)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def chain(client, user, lesson) -> dict:
    """Every URL of ``lesson``'s set for ``user``: master, a media playlist, key, a segment
    and the poster (fetched through ``client``, which must be allowed)."""
    urls = sources(user, lesson)
    master = client.get(urls["hls_url"]).content.decode()
    media_url = uris(master)[0]
    media = client.get(media_url).content.decode()
    return {
        "master": urls["hls_url"],
        "media": media_url,
        "key": key_uri(media),
        "segment": uris(media)[0],
        "poster": urls["poster_url"],
    }


def statuses(client, urls: dict) -> dict:
    return {name: client.get(url).status_code for name, url in urls.items()}


def assert_valid_media_playlist(text: str) -> None:
    """The shape RFC 8216 asks of a VOD media playlist: the header first, a target
    duration no segment exceeds, a URI after every EXTINF, the end marker."""
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U"
    target = int(next(line for line in lines if line.startswith("#EXT-X-TARGETDURATION:"))[22:])
    assert lines[-1] == "#EXT-X-ENDLIST"
    for index, line in enumerate(lines):
        if line.startswith("#EXTINF:"):
            assert round(float(line[8:].split(",")[0])) <= target
            assert lines[index + 1] and not lines[index + 1].startswith("#")


# --- The whole chain --------------------------------------------------------------------
def test_an_enrolled_student_plays_the_whole_chain_and_it_decodes(enrolled, paid):
    client = client_for(enrolled)
    row = paid.transcode
    urls = sources(enrolled, paid)
    token = urls["hls_url"].split("?", 1)[1]
    base = f"/video/{paid.pk}/{row.run}/"
    assert urls["hls_url"] == f"{base}master.m3u8?{token}"

    master = client.get(urls["hls_url"])
    assert master.status_code == 200
    assert master["Content-Type"] == PLAYLIST_TYPE
    assert master["Cache-Control"] == "no-store"
    assert master["X-Content-Type-Options"] == "nosniff"
    text = master.content.decode()
    assert text.startswith("#EXTM3U\n") and text.count("#EXT-X-STREAM-INF:") == 2
    # Only signed URLs: no bare relative name an outsider could complete.
    assert uris(text) == [f"{base}360p.m3u8?{token}", f"{base}540p.m3u8?{token}"]

    for media_url in uris(text):
        media = client.get(media_url)
        assert media.status_code == 200 and media["Content-Type"] == PLAYLIST_TYPE
        assert media["Cache-Control"] == "no-store"
        playlist = media.content.decode()
        assert_valid_media_playlist(playlist)
        assert key_uri(playlist) == f"{base}key?{token}"
        segments = uris(playlist)
        rung = media_url.split("/")[-1].split(".")[0]
        assert segments == [f"{base}{rung}_{n:05d}.ts?{token}" for n in range(2)]

        key = client.get(key_uri(playlist))
        assert key.status_code == 200 and key.content == bytes(row.key)
        assert key["Content-Type"] == "application/octet-stream"
        assert key["Cache-Control"] == "no-store"

        encrypted = []
        for url in segments:
            response = client.get(url)
            assert response.status_code == 200 and response["Content-Type"] == "video/mp2t"
            assert response["Cache-Control"] == "private, max-age=300"
            encrypted.append(body(response))
        # The IV is the media sequence number (no IV attribute), from 0.
        assert "#EXT-X-MEDIA-SEQUENCE:0" in playlist
        plain = b"".join(decrypt_segment(data, key.content, n) for n, data in enumerate(encrypted))
        frames, audio_seconds = decode(plain)
        assert frames == 5 * 25
        assert audio_seconds == pytest.approx(5, abs=0.1)

    poster = client.get(urls["poster_url"])
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
    assert body(poster).startswith(b"\xff\xd8")


def test_segments_answer_ranges(enrolled, paid):
    client = client_for(enrolled)
    url = chain(client, enrolled, paid)["segment"]
    whole = body(client.get(url))
    response = client.get(url, HTTP_RANGE="bytes=0-187")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 0-187/{len(whole)}"
    assert body(response) == whole[:188]
    assert client.get(url, HTTP_RANGE=f"bytes={len(whole)}-").status_code == 416


# --- Who gets the key -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("anonymous", False),
        ("other_student", False),  # signed in, not enrolled: a stranger
        ("other_instructor", False),
        ("enrolled", True),
        ("instructor", True),  # the course's
        ("staff", True),
    ],
)
def test_who_gets_playlists_and_key(request, actor, allowed, enrolled, paid):
    user = request.getfixturevalue(actor)
    client = client_for(user)
    urls = sources(user, paid)  # each with a link signed for themselves
    master = client.get(urls["hls_url"])
    assert master.status_code == (200 if allowed else 403)
    run = paid.transcode.run
    key_url = f"{reverse('video:key', args=[paid.pk, run])}?{urls['hls_url'].split('?')[1]}"
    key = client.get(key_url)
    assert key.status_code == (200 if allowed else 403)
    assert (key.content == bytes(paid.transcode.key)) is allowed


def test_a_free_preview_plays_for_anyone(anonymous, other_student, preview):
    for user in (anonymous, other_student):
        urls = chain(client_for(user), user, preview)
        assert set(statuses(client_for(user), urls).values()) == {200}


def test_a_draft_courses_preview_is_not_public(anonymous, instructor, preview):
    urls = chain(client_for(anonymous), anonymous, preview)
    preview.section.course.unpublish()
    assert statuses(client_for(anonymous), urls) == {
        "master": 403,
        "media": 403,
        "key": 403,
        # Encrypted bytes for the same viewer's still-valid link: no entitlement query
        # (useless without the key, which is refused).
        "segment": 200,
        "poster": 200,
    }
    assert client_for(instructor).get(sources(instructor, preview)["hls_url"]).status_code == 200


def test_leaving_the_course_ends_the_key_at_once(enrolled, course, paid):
    client = client_for(enrolled)
    urls = chain(client, enrolled, paid)
    learning.unenroll(user=enrolled, course=course)
    assert client.get(urls["key"]).status_code == 403
    assert client.get(urls["master"]).status_code == 403


# --- Copied, expired, tampered, old -----------------------------------------------------
def test_a_copied_url_works_for_no_one_else(enrolled, other_student, course, paid):
    urls = chain(client_for(enrolled), enrolled, paid)
    refused = dict.fromkeys(urls, 403)
    assert statuses(Client(), urls) == refused  # logged out: no session, no viewer
    assert statuses(client_for(other_student), urls) == refused
    # Not even for another enrolled student: the links are the first one's.
    learning.enroll(user=other_student, course=course)
    assert statuses(client_for(other_student), urls) == refused
    # ...nor for the same person after signing out.
    client = client_for(enrolled)
    client.logout()
    assert statuses(client, urls) == refused


def test_expired_urls_are_refused(enrolled, paid, settings):
    client = client_for(enrolled)
    urls = chain(client, enrolled, paid)
    later = time.time() + settings.VIDEO_URL_MAX_AGE + 5
    with mock.patch.object(signing.time, "time", return_value=later):
        assert statuses(client, urls) == dict.fromkeys(urls, 403)
    assert set(statuses(client, urls).values()) == {200}  # the same links, before expiry


def test_tampered_urls_are_refused(enrolled, staff, course, paid, preview):
    client = client_for(enrolled)
    urls = chain(client, enrolled, paid)
    for name, url in urls.items():
        assert client.get(url[:-2] + ("aa" if not url.endswith("aa") else "bb")).status_code == 403
        assert client.get(url.split("?")[0]).status_code == 403, name  # unsigned
    # A link signed for the preview lesson does not open the paid one.
    other = sources(enrolled, preview)["hls_url"].split("?")[1]
    for url in urls.values():
        assert client.get(f"{url.split('?')[0]}?{other}").status_code == 403
    # A browser token is no app token.
    token = urls["key"].split("?t=")[1]
    assert client.get(f"{urls['key'].split('?')[0]}?app={token}").status_code == 403


def test_an_old_runs_urls_stop_when_the_video_is_replaced(enrolled, paid, make_ready):
    client = client_for(enrolled)
    old = chain(client, enrolled, paid)
    services.schedule(paid, source=paid.video.name)  # what replacing the video does
    assert sources(enrolled, paid) == {"hls_url": None, "poster_url": None}  # not ready yet
    assert statuses(client, old) == dict.fromkeys(old, 404)
    make_ready(paid)
    assert statuses(client, old) == dict.fromkeys(old, 404)
    new = chain(client, enrolled, paid)
    assert new["key"] != old["key"]
    assert set(statuses(client, new).values()) == {200}


def test_unknown_renditions_segments_and_lessons_are_404(enrolled, paid):
    client = client_for(enrolled)
    urls = chain(client, enrolled, paid)
    base, query = urls["master"].rsplit("/", 1)[0], urls["master"].split("?")[1]
    assert client.get(f"{base}/1080p.m3u8?{query}").status_code == 404
    assert client.get(f"{base}/master.ts?{query}").status_code == 404
    assert client.get(f"{base}/540p_00099.ts?{query}").status_code == 404
    gone = reverse("video:master", args=[999999, paid.transcode.run])
    assert client.get(gone).status_code == 403  # no valid link for it in the first place


# --- Delivery modes ---------------------------------------------------------------------
def test_nginx_mode_hands_segments_and_poster_off(enrolled, paid, settings):
    settings.VIDEO_DELIVERY = "nginx"
    client = client_for(enrolled)
    urls = chain(client, enrolled, paid)
    prefix = paid.transcode.prefix
    segment = client.get(urls["segment"])
    assert segment.status_code == 200 and segment.content == b""
    assert segment["X-Accel-Redirect"] == f"/protected-videos/{prefix}360p_00000.ts"
    assert segment["Content-Type"] == "video/mp2t"
    poster = client.get(urls["poster"])
    assert poster["X-Accel-Redirect"] == f"/protected-videos/{prefix}poster.jpg"
    # Refused requests never hand anything off.
    refused = Client().get(urls["segment"])
    assert refused.status_code == 403 and "X-Accel-Redirect" not in refused


# --- Query counts -----------------------------------------------------------------------
def test_query_counts(enrolled, paid, django_assert_num_queries):
    client = client_for(enrolled)
    urls = chain(client, enrolled, paid)  # the session is in the cache now
    # The user, then the lesson with its course, "enrolled?" and the rendition set.
    for name in ("master", "media", "key"):
        with django_assert_num_queries(2):
            assert client.get(urls[name]).status_code == 200
    # No user, no entitlement: "is this run the current one?".
    for name in ("segment", "poster"):
        with django_assert_num_queries(1):
            assert client.get(urls[name]).status_code == 200
    with django_assert_num_queries(0):
        assert Client().get(urls["segment"]).status_code == 403  # the signature first


# --- The player and the API -------------------------------------------------------------
def test_the_player_and_the_preview_page_get_hls_and_poster(
    client, enrolled, course, paid, preview, monkeypatch
):
    # The links are signed with the time in whole seconds: the page's and the expected
    # ones are the same only when made in the same second, which a busy machine (or a
    # second worker beside this one) does not promise. The signing clock stands still.
    now = signing.TimestampSigner().timestamp()
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", lambda signer: now)
    client.force_login(enrolled)
    page = client.get(reverse("learning:lesson", args=[course.slug, paid.pk]))
    expected = sources(enrolled, paid)
    player = player_of(page)
    assert player.hls_url == expected["hls_url"]
    assert player.poster_url == expected["poster_url"]
    html = page.content.decode()
    assert f'data-hls-url="{expected["hls_url"]}"' in html
    assert f'poster="{expected["poster_url"]}"' in html
    assert client.get(player.hls_url).status_code == 200

    anonymous = Client()
    page = anonymous.get(reverse("learning:preview", args=[course.slug, preview.pk]))
    hls_url = player_of(page).hls_url
    assert hls_url.startswith(f"/video/{preview.pk}/{preview.transcode.run}/")
    assert anonymous.get(hls_url).status_code == 200


def test_until_ready_the_player_plays_the_original(client, enrolled, course):
    lesson = Lesson.objects.filter(section__course=course).order_by("order").last()
    client.force_login(enrolled)
    page = client.get(reverse("learning:lesson", args=[course.slug, lesson.pk]))
    player = player_of(page)
    assert player.hls_url is None and player.poster_url is None
    assert player.video_url.startswith(f"/video/{lesson.pk}/?t=")
    assert "data-hls-url" not in page.content.decode()


@pytest.mark.parametrize("size", ["small", "big"])
def test_the_player_with_hls_keeps_its_query_budget(
    client, enrolled, course, paid, make_ready, size, django_assert_max_num_queries
):
    if size == "big":
        section = paid.section
        for n in range(30):
            make_ready(
                Lesson.objects.create(
                    section=section, title=f"L{n}", order=10 + n, video=paid.video.name
                )
            )
    client.force_login(enrolled)
    url = reverse("learning:lesson", args=[course.slug, paid.pk])
    client.get(url)
    with django_assert_max_num_queries(PLAYER_QUERIES):  # as without HLS
        page = client.get(url)
    assert player_of(page).hls_url


def test_the_api_gives_apps_the_signed_playlist_and_poster(enrolled, course, paid):
    api = ApiClient(enrolled)
    data = api.get(f"/api/v1/courses/{course.slug}/lessons/{paid.pk}").json()
    run = paid.transcode.run
    assert data["hls_url"].startswith(f"http://testserver/video/{paid.pk}/{run}/master.m3u8?app=")
    assert data["poster_url"].startswith(f"http://testserver/video/{paid.pk}/{run}/poster.jpg?app=")
    player = Client()  # an app's player: no cookie
    master = player.get(data["hls_url"])
    assert master.status_code == 200
    media = player.get(uris(master.content.decode())[0]).content.decode()
    assert "?app=" in key_uri(media)
    assert player.get(key_uri(media)).content == bytes(paid.transcode.key)
    assert player.get(uris(media)[0]).status_code == 200
    assert player.get(data["poster_url"]).status_code == 200
    # Signing out of the app ends every link at once.
    api.generic(
        "DELETE", "/api/v1/auth/app/v1/auth/session", HTTP_AUTHORIZATION=f"Bearer {api.token}"
    )
    for url in (data["hls_url"], key_uri(media), uris(media)[0], data["poster_url"]):
        assert player.get(url).status_code == 403


def test_the_api_has_no_hls_until_ready(enrolled, course):
    lesson = Lesson.objects.filter(section__course=course).order_by("order").last()
    data = ApiClient(enrolled).get(f"/api/v1/courses/{course.slug}/lessons/{lesson.pk}").json()
    assert data["hls_url"] is None and data["poster_url"] is None and data["stream_url"]
