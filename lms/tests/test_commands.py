"""The demo loader and the scale-data generator."""

import pytest
from django.core.management import call_command

from accounts.models import User
from catalog.models import Course, Lesson

pytestmark = pytest.mark.django_db


def test_load_demo_is_idempotent(settings):
    call_command("load_demo", stdout=None)
    counts = (User.objects.count(), Course.objects.count(), Lesson.objects.count())
    call_command("load_demo")
    assert (User.objects.count(), Course.objects.count(), Lesson.objects.count()) == counts
    assert Course.objects.published().count() == 12
    student = User.objects.get(email="student@lectern.test")
    assert student.check_password("lectern-demo-2026") and student.role == User.Role.STUDENT
    assert User.objects.get(email="instructor@lectern.test").is_instructor
    assert User.objects.get(email="staff@lectern.test").is_platform_staff
    # Every demo lesson has its own real, playable video with its duration read.
    lessons = Lesson.objects.all()
    assert all(lesson.video and lesson.duration >= 10 for lesson in lessons)
    assert len({lesson.video.name for lesson in lessons}) == len(lessons)
    assert Lesson.objects.filter(is_free_preview=True).count() == 12


def test_generate_scale_data_fills_summaries():
    call_command("generate_scale_data", courses=7, sections=3, lessons=4, instructors=2)
    courses = Course.objects.filter(slug__startswith="scale-")
    assert courses.count() == 7
    for course in courses:
        assert course.lesson_count == 12
        assert course.total_duration == sum(
            course.published_lessons().values_list("duration", flat=True)
        )
    call_command("generate_scale_data", courses=2, sections=1, lessons=1, instructors=2, clear=True)
    assert Course.objects.filter(slug__startswith="scale-").count() == 2


def test_generate_scale_data_with_learners():
    from learning.models import Enrollment, LessonProgress

    call_command(
        "generate_scale_data",
        courses=4,
        sections=1,
        lessons=3,
        instructors=1,
        students=10,
        enrolments=2,
        progress=3,
        days=30,
    )
    assert Enrollment.objects.count() == 20
    assert 20 <= LessonProgress.objects.count() <= 60
    assert sum(Course.objects.values_list("enrollment_count", flat=True)) == 20
    from learning.models import ActivityDay

    assert ActivityDay.objects.count() == 20  # one active day per enrolment
    assert sum(Enrollment.objects.values_list("completed_lessons", flat=True)) == (
        LessonProgress.objects.filter(completed_at__isnull=False).count()
    )
    # Spread over the period, not all stamped "now".
    assert Enrollment.objects.values("created_at").distinct().count() > 1
