"""manage.py check_integrity: each summary field against its rows, files against rows."""

import os
import time
from io import StringIO

import pytest
from django.core.files.storage import default_storage, storages
from django.core.management import CommandError, call_command

from accounts.tests.factories import UserFactory
from catalog.models import Course, Lesson
from catalog.tests.factories import published_course
from learning import services as learning
from learning.models import Enrollment
from reviews import services as reviews
from reviews.models import Review

pytestmark = pytest.mark.django_db


def check(*args) -> str:
    out = StringIO()
    call_command("check_integrity", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def world():
    """A course with students, progress, a review, a vote and a report: no drift."""
    course = published_course(sections=1, lessons=3, with_video=True)
    students = [UserFactory() for _ in range(3)]
    for student in students:
        learning.enroll(user=student, course=course)
    lesson = course.published_lessons().first()
    learning.set_completed(user=students[0], lesson=lesson, completed=True)
    review, _ = reviews.save_review(user=students[0], course=course, rating=5, text="Good")
    reviews.toggle_helpful(review=review, user=students[1])
    reviews.report_review(review=review, user=students[2], reason="spam", details="")
    return course, students, review


def test_a_consistent_database_has_no_drift(world):
    assert "No drift" in check("--orphan-grace", "0")


@pytest.mark.parametrize(
    ("name", "corrupt", "restored"),
    [
        (
            "lesson counts",
            lambda course, review: Course.objects.filter(pk=course.pk).update(
                lesson_count=9, total_duration=1
            ),
            lambda course, review: (
                Course.objects.values_list("lesson_count", "total_duration").get(pk=course.pk)
                == (3, 36)
            ),
        ),
        (
            "enrolment counts",
            lambda course, review: Course.objects.filter(pk=course.pk).update(enrollment_count=7),
            lambda course, review: Course.objects.get(pk=course.pk).enrollment_count == 3,
        ),
        (
            "completed lessons",
            lambda course, review: Enrollment.objects.filter(
                pk=Enrollment.objects.order_by("pk").values("pk")[:1]
            ).update(completed_lessons=2),
            lambda course, review: (
                sorted(Enrollment.objects.values_list("completed_lessons", flat=True)) == [0, 0, 1]
            ),
        ),
        (
            "ratings",
            lambda course, review: Course.objects.filter(pk=course.pk).update(
                rating_count=4, rating_histogram=[4, 0, 0, 0, 0]
            ),
            lambda course, review: (
                Course.objects.get(pk=course.pk).rating_histogram == [0, 0, 0, 0, 1]
            ),
        ),
        (
            "helpful counts",
            lambda course, review: Review.objects.filter(pk=review.pk).update(helpful_count=3),
            lambda course, review: Review.objects.get(pk=review.pk).helpful_count == 1,
        ),
        (
            "report counts",
            lambda course, review: Review.objects.filter(pk=review.pk).update(report_count=0),
            lambda course, review: Review.objects.get(pk=review.pk).report_count == 1,
        ),
    ],
)
def test_each_summary_that_drifts_is_reported_then_mended(world, name, corrupt, restored):
    course, _, review = world
    corrupt(course, review)

    with pytest.raises(CommandError, match="1 item"):
        check()
    report = check("--fix", "--only", name)

    assert report.startswith(f"{name}: ") and "fixed" in report
    assert restored(course, review)
    assert "No drift" in check("--orphan-grace", "0")


def test_orphan_files_are_found_after_the_grace_period_and_deleted(
    world, django_capture_on_commit_callbacks
):
    orphan = storages["private"].save("videos/left-behind.mp4", StringIO("x"))
    young = default_storage.save("thumbnails/uploading.webp", StringIO("x"))
    old = time.time() - 7200
    os.utime(storages["private"].path(orphan), (old, old))

    with pytest.raises(CommandError, match="1 item"):
        check()  # the young file may be an upload whose row is not committed yet
    with django_capture_on_commit_callbacks(execute=True):
        assert "videos/left-behind.mp4" in check("--fix")
    assert not storages["private"].exists(orphan)
    assert default_storage.exists(young)
    with pytest.raises(CommandError):
        check("--orphan-grace", "0")  # a grace of 0 counts it


def test_a_row_whose_file_is_missing_is_reported_and_not_fixable(world):
    course, _, _ = world
    lesson = Lesson.objects.filter(section__course=course).first()
    storages["private"].delete(lesson.video.name)

    with pytest.raises(CommandError, match="cannot be"):
        check("--fix")
    assert Lesson.objects.filter(pk=lesson.pk).exists()  # nothing deleted to "fix" it
