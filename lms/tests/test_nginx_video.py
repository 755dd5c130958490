"""HLS delivery behind the real nginx with deploy/nginx.conf (VIDEO_DELIVERY=nginx):
Lectern (the live test server) checks each link and answers X-Accel-Redirect; nginx
sends the segment's bytes, with Range. Skipped without nginx, except under CI=true."""

import gzip
import http.client

import pytest
from django.test import Client

from catalog.models import Lesson
from catalog.tests.factories import published_course
from learning import services as learning
from learning import streaming
from lms.tests.nginx import deployed_nginx
from video import services
from video.models import Transcode

pytestmark = pytest.mark.django_db(transaction=True)


def fetch(port: int, path: str, **headers) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "lectern.example.com", **headers})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def media_lines(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


def test_segments_go_through_nginx_with_ranges(
    live_server, settings, tmp_path, student, instructor
):
    settings.VIDEO_DELIVERY = "nginx"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "srv/lectern/private"  # deploy/nginx.conf's alias
    settings.ALLOWED_HOSTS = ["lectern.example.com"]
    course = published_course(instructor=instructor, sections=1, lessons=1, with_video=True)
    lesson = Lesson.objects.get(section__course=course)
    row = Transcode.objects.get(lesson=lesson)
    assert services.run_transcode(row.pk, row.run, attempt=1, can_wait=False) == "ready"
    learning.enroll(user=student, course=course)
    client = Client()
    client.force_login(student)
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    lesson = Lesson.objects.select_related("transcode").get(pk=lesson.pk)
    urls = streaming.player_sources(
        lesson, query=streaming.signed_query(user=student, lesson=lesson)
    )
    row.refresh_from_db()

    with deployed_nginx(tmp_path, upstream=int(live_server.url.rsplit(":", 1)[1])) as port:
        master = fetch(port, urls["hls_url"], **cookie)
        assert master.status == 200, master.body
        assert master.getheader("Cache-Control") == "no-store"
        zipped = fetch(port, urls["hls_url"], **{"Accept-Encoding": "gzip", **cookie})
        assert zipped.getheader("Content-Encoding") == "gzip"  # playlists compress well
        assert gzip.decompress(zipped.body) == master.body
        media = fetch(port, media_lines(master.body)[0], **cookie)
        assert media.status == 200
        segment_url = media_lines(media.body)[0]
        stored = (settings.PRIVATE_MEDIA_ROOT / row.prefix / "270p_00000.ts").read_bytes()

        whole = fetch(port, segment_url, **cookie)
        assert whole.status == 200 and whole.body == stored
        assert whole.getheader("Content-Type") == "video/mp2t"
        assert whole.getheader("X-Accel-Redirect") is None  # nginx keeps the hand-off inside
        assert [v for k, v in whole.getheaders() if k == "Cache-Control"] == [
            "private, max-age=300"
        ]
        part = fetch(port, segment_url, Range="bytes=100-1099", **cookie)
        assert part.status == 206
        assert part.getheader("Content-Range") == f"bytes 100-1099/{len(stored)}"
        assert part.body == stored[100:1100]

        poster = fetch(port, urls["poster_url"], **cookie)
        assert poster.status == 200 and poster.getheader("Content-Type") == "image/jpeg"

        # Without the viewer's session, or straight at the internal location: nothing.
        assert fetch(port, segment_url).status == 403
        assert fetch(port, f"/protected-videos/{row.prefix}270p_00000.ts").status == 404
