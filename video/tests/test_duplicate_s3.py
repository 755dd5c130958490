"""Duplicating a course whose videos and captions live in S3 (moto's server mode): the
bucket copies the objects itself, under new keys, and each course keeps its own."""

import pytest
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from catalog.duplicate import duplicate_course
from catalog.models import Course, Lesson
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.lib.files import copy_file
from video.models import Caption
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db


def keys(s3_bucket, prefix: str = "") -> list[str]:
    client, bucket = s3_bucket
    listing = client.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def body(s3_bucket, key: str) -> bytes:
    client, bucket = s3_bucket
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture
def no_download(monkeypatch):
    """Reading an object through Django fails the test: copies happen in the bucket."""

    def refuse(self, name, mode="rb"):
        raise AssertionError(f"{name} was read through Lectern")

    monkeypatch.setattr(S3Storage, "_open", refuse)


def test_copy_file_copies_in_the_bucket(s3_bucket, clip, no_download):
    storage = storages["private"]
    name = storage.save("videos/original.mp4", clip())
    copied = copy_file(storage, name, "videos/copy.mp4")
    assert copied == "videos/copy.mp4"
    again = copy_file(storage, name, "videos/copy.mp4")  # taken: a free name near it
    assert again not in (name, copied) and again.startswith("videos/copy")
    assert keys(s3_bucket) == sorted([name, copied, again])
    assert body(s3_bucket, copied) == body(s3_bucket, name)
    client, bucket = s3_bucket
    assert client.head_object(Bucket=bucket, Key=copied)["ContentType"] == "video/mp4"


def test_a_duplicated_course_gets_its_own_objects(
    s3_bucket, clip, monkeypatch, instructor, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Caption._meta.get_field("file"), "storage", storages["private"])
    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    lesson = LessonFactory(section=SectionFactory(course=course), video=clip(), duration=5)
    add_caption(lesson, "en")
    original = keys(s3_bucket)
    assert len(original) == 2  # the video and the caption

    with monkeypatch.context() as patch:
        patch.setattr(S3Storage, "_open", lambda *a, **k: pytest.fail("read through Lectern"))
        copy = duplicate_course(course, by=instructor)
    new_lesson = Lesson.objects.get(section__course=copy)
    new_caption = Caption.objects.get(lesson=new_lesson)
    assert keys(s3_bucket) == sorted([*original, new_lesson.video.name, new_caption.file.name])
    assert body(s3_bucket, new_lesson.video.name) == body(s3_bucket, lesson.video.name)
    caption = lesson.captions.get()
    assert body(s3_bucket, new_caption.file.name) == body(s3_bucket, caption.file.name)

    with django_capture_on_commit_callbacks(execute=True):
        Course.objects.get(pk=course.pk).delete()
    assert keys(s3_bucket) == sorted([new_lesson.video.name, new_caption.file.name])
