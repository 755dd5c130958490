"""Integrity checks for learning's summary fields (see lms.lib.integrity)."""

from django.db.models import Count, F

from catalog.models import Course
from learning.models import Enrollment, completed_lessons_subquery
from lms.lib.integrity import Drift, integrity_check


@integrity_check("enrolment counts")
def check_enrollment_counts(*, fix: bool, **options) -> list[Drift]:
    """Each course's enrolment count against its enrolments."""
    drifted = list(
        Course.objects.annotate(n=Count("enrollments"))
        .exclude(enrollment_count=F("n"))
        .order_by("pk")
    )
    if fix:
        for course in drifted:
            Course.objects.filter(pk=course.pk).update(
                enrollment_count=Enrollment.objects.filter(course=course).count()
            )
    return [
        Drift("enrolment counts", f"course {c.pk} ({c.slug})", c.enrollment_count, c.n)
        for c in drifted
    ]


@integrity_check("completed lessons")
def check_completed_lessons(*, fix: bool, **options) -> list[Drift]:
    """Each enrolment's completed-lesson rollup against the student's progress rows."""
    drifted = list(
        Enrollment.objects.annotate(actual=completed_lessons_subquery())
        .exclude(completed_lessons=F("actual"))
        .select_related("user", "course")
        .order_by("pk")
    )
    if fix:
        Enrollment.objects.filter(pk__in=[e.pk for e in drifted]).update(
            completed_lessons=completed_lessons_subquery()
        )
    return [
        Drift(
            "completed lessons",
            f"enrolment {e.pk} ({e.user} in {e.course.slug})",
            e.completed_lessons,
            e.actual,
        )
        for e in drifted
    ]
