"""The lesson admin's "Streaming" state, retry, and lessons that wait for their video."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from catalog.tests.test_admin import post_new_lesson
from video import services
from video.models import Transcode

pytestmark = pytest.mark.django_db


def failed_lesson(instructor, clip):
    lesson = LessonFactory(section__course__instructor=instructor, video=clip())
    Transcode.objects.filter(lesson=lesson).update(
        status=Transcode.Status.FAILED, error="The video has no frames.", attempts=1
    )
    return lesson


def test_the_change_page_shows_the_state_and_why_it_failed(client, instructor, clip):
    lesson = failed_lesson(instructor, clip)
    client.force_login(instructor)
    page = client.get(reverse("admin:catalog_lesson_change", args=[lesson.pk])).content.decode()
    assert "Failed</strong> after 1 attempt: The video has no frames." in page
    assert reverse("admin:catalog_lesson_streaming_retry", args=[lesson.pk]) in page

    Transcode.objects.filter(lesson=lesson).update(status="running", progress=42)
    fragment = client.get(reverse("admin:catalog_lesson_streaming", args=[lesson.pk]))
    assert "42 %" in fragment.content.decode()
    assert 'data-hx-trigger="every 2s"' in fragment.content.decode()  # live while it runs
    listing = client.get(reverse("admin:catalog_lesson_changelist")).content.decode()
    assert "Transcoding 42 %" in listing


def test_the_instructor_retries_a_failed_job(
    client, instructor, clip, django_capture_on_commit_callbacks
):
    lesson = failed_lesson(instructor, clip)
    before = Transcode.objects.get(lesson=lesson)
    client.force_login(instructor)
    url = reverse("admin:catalog_lesson_streaming_retry", args=[lesson.pk])
    assert client.get(url).status_code == 405  # a change: POST only (CSRF-checked)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    row = Transcode.objects.get(lesson=lesson)
    assert row.status == Transcode.Status.QUEUED and row.error == "" and row.run != before.run
    assert row.task_id  # enqueued on the video backend


def test_others_cannot_see_or_retry(client, other_instructor, student, instructor, clip, staff):
    lesson = failed_lesson(instructor, clip)
    url = reverse("admin:catalog_lesson_streaming_retry", args=[lesson.pk])
    status_url = reverse("admin:catalog_lesson_streaming", args=[lesson.pk])
    for user, expected in ((other_instructor, 404), (student, 302)):
        client.force_login(user)
        assert client.post(url).status_code == expected
        assert client.get(status_url).status_code == expected
    assert Transcode.objects.get(lesson=lesson).status == Transcode.Status.FAILED
    client.logout()
    assert client.post(url).status_code == 302  # to the login page
    client.force_login(staff)
    assert client.post(url).status_code == 302
    assert Transcode.objects.get(lesson=lesson).status == Transcode.Status.QUEUED


def test_a_ready_video_is_not_retried(client, instructor, clip):
    lesson = LessonFactory(section__course__instructor=instructor, video=clip())
    Transcode.objects.filter(lesson=lesson).update(status=Transcode.Status.READY)
    run = Transcode.objects.get(lesson=lesson).run
    client.force_login(instructor)
    client.post(reverse("admin:catalog_lesson_streaming_retry", args=[lesson.pk]))
    assert Transcode.objects.get(lesson=lesson).run == run


def test_uploading_in_the_admin_queues_the_job(client, instructor, clip_bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    section = SectionFactory(course__instructor=instructor)
    client.force_login(instructor)
    upload = SimpleUploadedFile("intro.mp4", clip_bytes, content_type="video/mp4")
    assert post_new_lesson(client, section, upload).status_code == 302
    lesson = Lesson.objects.get(section=section)
    row = Transcode.objects.get(lesson=lesson)
    assert row.source == lesson.video.name and row.status == Transcode.Status.QUEUED


def test_in_a_course_that_waits_a_lesson_publishes_itself_once_its_video_is_ready(
    client, instructor, clip_bytes, clip
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    course = CourseFactory(instructor=instructor, lessons_wait_for_video=True)
    section = SectionFactory(course=course)
    client.force_login(instructor)
    upload = SimpleUploadedFile("intro.mp4", clip_bytes, content_type="video/mp4")
    assert post_new_lesson(client, section, upload).status_code == 302  # saved as published
    lesson = Lesson.objects.get(section=section)
    assert not lesson.is_published  # held back
    row = Transcode.objects.get(lesson=lesson)
    assert row.publish_when_ready
    page = client.get(reverse("admin:catalog_lesson_change", args=[lesson.pk])).content.decode()
    assert "publishes itself once its video is ready" in page

    # Publishing it again by hand while the job runs still waits.
    lesson.is_published = True
    lesson.save()
    lesson.refresh_from_db()
    assert not lesson.is_published

    assert services.run_transcode(row.pk, row.run, attempt=1, can_wait=False) == "ready"
    lesson.refresh_from_db()
    course.refresh_from_db()
    assert lesson.is_published and course.lesson_count == 1
    assert not Transcode.objects.get(lesson=lesson).publish_when_ready

    # Once ready, a lesson publishes at once; a published lesson stays published when
    # its video is replaced (its students play the new file until the new set is ready).
    lesson.video = clip("new.mp4")
    lesson.save()
    lesson.refresh_from_db()
    assert lesson.is_published


def test_a_course_that_does_not_wait_publishes_at_once(client, instructor, clip):
    lesson = LessonFactory(section__course__instructor=instructor, video=clip(), is_published=True)
    assert Lesson.objects.get(pk=lesson.pk).is_published
    assert Transcode.objects.get(lesson=lesson).status == Transcode.Status.QUEUED


def test_a_lesson_without_a_video_is_not_held(instructor):
    course = CourseFactory(instructor=instructor, lessons_wait_for_video=True)
    lesson = LessonFactory(section__course=course, is_published=True)
    assert Lesson.objects.get(pk=lesson.pk).is_published
    assert not Transcode.objects.exists()
    lesson.video = ContentFile(b"", name="")  # still none
    lesson.save()
    assert not Transcode.objects.exists()
