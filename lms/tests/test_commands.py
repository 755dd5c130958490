"""The demo loader, the scale-data generator and the load test's checker."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from catalog.models import Course, Lesson
from catalog.tests.factories import published_course
from learning import services

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
    # Every demo video lesson has its own real, playable video with its duration read.
    lessons = Lesson.objects.filter(kind=Lesson.Kind.VIDEO)
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


def acknowledged(tmp_path, reports) -> str:
    path = tmp_path / "acknowledged.json"
    path.write_text(json.dumps(reports))
    return str(path)


def test_load_check_passes_when_every_acknowledged_report_is_stored(tmp_path, student):
    course = published_course()
    lesson = course.published_lessons().first()
    services.enroll(user=student, course=course)
    services.record_progress(user=student, lesson=lesson, position=4, segment=(0, 4))
    services.record_progress(user=student, lesson=lesson, position=8, segment=(4, 8))
    reports = [
        {"email": student.email, "lesson": lesson.pk, "start": 0, "end": 4, "completed": False},
        {"email": student.email, "lesson": lesson.pk, "start": 4, "end": 8, "completed": False},
    ]
    out = StringIO()
    call_command("load_check", acknowledged(tmp_path, reports), stdout=out)
    assert "All 2 acknowledged progress reports are stored" in out.getvalue()


def test_load_check_fails_on_lost_progress_and_drifted_counts(tmp_path, student):
    course = published_course()
    lesson = course.published_lessons().first()
    services.enroll(user=student, course=course)
    services.record_progress(user=student, lesson=lesson, position=4, segment=(0, 4))
    Course.objects.filter(pk=course.pk).update(enrollment_count=5)  # drifted
    reports = [
        {"email": student.email, "lesson": lesson.pk, "start": 4, "end": 8, "completed": True},
    ]
    out = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("load_check", acknowledged(tmp_path, reports), stdout=out)
    problems = out.getvalue()
    assert "segment 4–8 acknowledged but missing" in problems
    assert "completion lost" in problems
    assert f"enrolment counts: course {course.pk} ({course.slug}): stored 5, actual 1" in problems
