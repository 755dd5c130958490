"""Integrity checks for the catalog's summary fields, and the files of its pending direct
uploads for the files check (see lms.lib.integrity)."""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from catalog.models import Course, Lesson
from catalog.uploads import pending_upload_files
from lms.lib.integrity import Drift, claims_files, integrity_check


@integrity_check("lesson counts")
def check_lesson_stats(*, fix: bool, **options) -> list[Drift]:
    """Each course's lesson count and total duration against its published lessons."""
    published = Lesson.objects.filter(section__course=OuterRef("pk"), is_published=True)
    per_course = published.order_by().values("section__course")
    courses = Course.objects.annotate(
        n=Coalesce(Subquery(per_course.annotate(n=Count("pk")).values("n")), Value(0)),
        seconds=Coalesce(
            Subquery(per_course.annotate(s=Sum("duration")).values("s")),
            Value(0),
            output_field=IntegerField(),
        ),
    ).order_by("pk")
    drifted = [c for c in courses if (c.lesson_count, c.total_duration) != (c.n, c.seconds)]
    if fix and drifted:
        Course.objects.filter(pk__in=[c.pk for c in drifted]).refresh_lesson_stats()
    return [
        Drift(
            "lesson counts",
            f"course {c.pk} ({c.slug})",
            {"lessons": c.lesson_count, "seconds": c.total_duration},
            {"lessons": c.n, "seconds": c.seconds},
        )
        for c in drifted
    ]


@claims_files
def pending_uploads():
    """A direct upload's object is named by its PendingUpload row until it becomes a
    lesson's video; an abandoned one goes with its row (purge_abandoned_uploads)."""
    return pending_upload_files()
