"""The S3 paths against a real S3-compatible server (moto's server mode, started by the
suite): the upload, the worker's download and renditions, VIDEO_DELIVERY=s3 playlists
whose segments are presigned S3 URLs (fetched over HTTP, with Range), the key from
Lectern, and no objects left after replace and delete."""

import io
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

import av
import pytest
from django.test import Client

from catalog.models import Lesson
from catalog.tests.factories import LessonFactory
from learning import services as learning
from learning import streaming
from video.models import Transcode, lesson_prefix
from video.transcode import decrypt_segment

pytestmark = pytest.mark.django_db(transaction=True)


def keys(s3_bucket, prefix: str = "") -> list[str]:
    client, bucket = s3_bucket
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


@dataclass
class Fetched:
    status_code: int
    headers: object  # an email.message.Message: names in any case
    content: bytes


def fetch(url: str, **headers) -> Fetched:
    """GET ``url`` over HTTP, as a player's XHR would (no cookie, no credentials)."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (the test's server)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return Fetched(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Fetched(error.code, error.headers, error.read())


def uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def test_s3_upload_transcode_delivery_and_cleanup(
    s3_bucket, s3_endpoint, clip, rq_worker, settings, student
):
    settings.VIDEO_DELIVERY = "s3"
    lesson = LessonFactory(video=clip(), section__course__published=True)
    _, bucket = s3_bucket
    assert keys(s3_bucket) == [lesson.video.name]  # the upload went to the bucket

    rq_worker()  # downloads the source from S3, uploads the renditions there
    row = Transcode.objects.get(lesson=lesson)
    assert row.status == Transcode.Status.READY, row.error
    assert keys(s3_bucket, lesson_prefix(lesson.pk)) == sorted(
        row.prefix + name
        for name in [
            "master.m3u8",
            "poster.jpg",
            *(f"{rung}.m3u8" for rung in ("360p", "540p")),
            *(f"{rung}_{n:05d}.ts" for rung in ("360p", "540p") for n in range(2)),
        ]
    )

    learning.enroll(user=student, course=lesson.section.course)
    client = Client()
    client.force_login(student)
    lesson = Lesson.objects.select_related("transcode").get(pk=lesson.pk)
    urls = streaming.player_sources(
        lesson, query=streaming.signed_query(user=student, lesson=lesson)
    )
    master = client.get(urls["hls_url"])
    assert master.status_code == 200
    media = client.get(uris(master.content.decode())[0])
    assert media.status_code == 200 and media["Cache-Control"] == "no-store"
    playlist = media.content.decode()
    key_url = re.search(r'URI="([^"]+)"', playlist).group(1)
    assert key_url.startswith(f"/video/{lesson.pk}/{row.run}/key?t=")  # the key: Lectern's
    key = client.get(key_url).content
    assert key == bytes(row.key)

    # Segments: presigned URLs of the objects themselves, no request through Lectern.
    segments = uris(playlist)
    assert len(segments) == 2
    plain = b""
    for sequence, url in enumerate(segments):
        parsed = urlparse(url)
        assert f"{parsed.scheme}://{parsed.netloc}" == s3_endpoint
        assert parsed.path == f"/{bucket}/{row.prefix}360p_{sequence:05d}.ts"
        query = parse_qs(parsed.query)
        assert query["X-Amz-Expires"] == [str(settings.VIDEO_URL_MAX_AGE)]
        assert "X-Amz-Signature" in query
        whole = fetch(url)
        assert whole.status_code == 200
        assert whole.headers["Content-Type"] == "video/mp2t"
        part = fetch(url, Range="bytes=0-99")
        assert part.status_code == 206
        assert part.headers["Content-Range"] == f"bytes 0-99/{len(whole.content)}"
        assert part.content == whole.content[:100]
        plain += decrypt_segment(whole.content, key, sequence)
    with av.open(io.BytesIO(plain), format="mpegts") as container:
        assert sum(1 for _ in container.decode(video=0)) == 5 * 25

    # The poster: through Lectern (the link is checked), then a redirect to S3.
    poster = client.get(urls["poster_url"])
    assert poster.status_code == 302
    image = fetch(poster["Location"])
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert Client().get(urls["poster_url"]).status_code == 403  # not without the session

    # Replacing the video: the old run's objects go, old segment URLs find nothing.
    old_run_keys = keys(s3_bucket, row.prefix)
    old_video = lesson.video.name
    lesson.video = clip("replacement.mp4")
    lesson.save()
    assert keys(s3_bucket, row.prefix) == []
    # (S3 answers 403 rather than 404 for a missing object to whoever may not list.)
    assert fetch(segments[0]).status_code in (403, 404)
    rq_worker()
    new = Transcode.objects.get(lesson=lesson)
    assert new.is_ready and new.run != row.run
    remaining = keys(s3_bucket)
    assert old_video not in remaining and not set(old_run_keys) & set(remaining)
    assert all(name.startswith(new.prefix) for name in keys(s3_bucket, lesson_prefix(lesson.pk)))

    # Deleting the lesson: nothing of it is left in the bucket.
    lesson.delete()
    assert keys(s3_bucket) == []
