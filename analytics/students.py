"""A course's students, for its instructor and staff: who enrolled when, how far each got,
when they last worked on it and when they completed it.

One query for a page of students whatever their number (the progress, the last activity
and the certificate are subqueries of the enrolments' query), plus the paginator's count.
The percentage is the site's one rule (``learning.models.percent``): completed published
lessons ÷ published lessons, counted from the progress rows as the student's own pages do.
"""

from dataclasses import dataclass

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from catalog.models import Course
from learning.models import Certificate, Enrollment

PAGE_SIZE = 50
SEARCH_MAX = 100  # characters of ?q= used


@dataclass(frozen=True)
class Column:
    key: str  # ?sort=key (ascending) or ?sort=-key
    label: str
    order: tuple  # the ORDER BY for ascending (descending reverses each part)
    first: str  # the direction a first click sorts: "" or "-"


def _nulls_last(field: str, *, descending: bool):
    expression = F(field)
    return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)


COLUMNS = [
    Column("name", "Student", ("user__first_name", "user__last_name", "user__email"), ""),
    Column("enrolled", "Enrolled", ("created_at",), "-"),
    Column("progress", "Progress", ("done",), "-"),
    Column("activity", "Last activity", ("last_activity",), "-"),
    Column("completed", "Completed", ("completed_at",), "-"),
]
SORTS = {column.key: column for column in COLUMNS}
DEFAULT_SORT = "-enrolled"  # the newest students first
NULLABLE = {"last_activity", "completed_at"}  # "never" sorts last in either direction


def parse_sort(value: str | None) -> str:
    """``?sort=`` as one of the columns, with or without "-"; anything else: the default."""
    value = value or ""
    return value if value.removeprefix("-") in SORTS else DEFAULT_SORT


def students(course: Course, *, search: str = "", sort: str = DEFAULT_SORT) -> QuerySet:
    """The course's enrolments with ``done`` (completed published lessons),
    ``last_activity`` (the latest change to any of the student's progress rows in the
    course: a report from the player, a lesson marked complete) and ``certificate_code``
    (their certificate unless revoked), the user joined, filtered by ``search`` (name or
    email) and ordered by ``sort`` (``parse_sort``; the pk breaks ties)."""
    certificate = Certificate.objects.filter(
        user=OuterRef("user"), course=OuterRef("course"), revoked_at__isnull=True
    ).values("code")[:1]
    rows = (
        Enrollment.objects.filter(course=course)
        .select_related("user")
        .with_progress()
        .annotate(certificate_code=Subquery(certificate))
    )
    words = search.split()[:5]
    for word in words:
        rows = rows.filter(
            Q(user__email__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
        )
    descending = sort.startswith("-")
    column = SORTS[sort.removeprefix("-")]
    order = [
        _nulls_last(field, descending=descending)
        if field in NULLABLE
        else (F(field).desc() if descending else F(field).asc())
        for field in column.order
    ]
    return rows.order_by(*order, "-pk" if descending else "pk")


def with_course(enrolments, course: Course) -> list[Enrollment]:
    """The rows with their course set (the one already loaded: no query per row), so
    ``progress_percent`` reads its lesson count."""
    rows = list(enrolments)
    for enrolment in rows:
        enrolment.course = course
    return rows


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


CSV_HEADER = [
    "name",
    "email",
    "enrolled",
    "progress (%)",
    "lessons completed",
    "published lessons",
    "last activity",
    "completed",
]


def csv_rows(course: Course, enrolments) -> list[list]:
    """The page's columns, one row per student (times in the site's time zone)."""
    return [
        [
            e.user.full_name,
            e.user.email,
            _local(e.created_at),
            e.progress_percent,
            min(e.done, course.lesson_count),
            course.lesson_count,
            _local(e.last_activity),
            _local(e.completed_at),
        ]
        for e in with_course(enrolments, course)
    ]
