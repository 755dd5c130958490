"""Analytics for staff (the whole platform) and instructors (their own courses).

Every number comes from an aggregate query (``TruncDate``, ``Count``, conditional
aggregation, subqueries); the page costs the same dozen queries whatever the data size.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, FloatField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone

from accounts.models import Profile, User
from catalog.models import Category, Course, Lesson
from learning.models import Certificate, Enrollment, LessonProgress
from reviews.models import Review

PERIODS = {"7": 7, "30": 30, "90": 90}
COURSE_ROWS = 25  # shown on the page; CSV exports every course


@dataclass
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def range(self) -> tuple[datetime, datetime]:
        """Aware datetimes [start 00:00, day after end 00:00) in the current time zone."""
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )


def parse_period(params) -> Period:
    """?period=7|30|90 or ?start=YYYY-MM-DD&end=YYYY-MM-DD (bad input: the last 30 days)."""
    today = timezone.localdate()
    if params.get("period") == "custom":
        try:
            start = date.fromisoformat(params.get("start", ""))
            end = date.fromisoformat(params.get("end", ""))
        except ValueError:
            start = end = None
        if start and end and start <= end <= today and (end - start).days <= 366:
            return Period(start, end)
    days = PERIODS.get(params.get("period", ""), 30)
    return Period(today - timedelta(days=days - 1), today)


@dataclass
class Series:
    label: str
    values: dict[date, float] = field(default_factory=dict)

    def points(self, period: Period) -> list[tuple[date, float]]:
        return [(day, self.values.get(day, 0)) for day in period.days]

    @property
    def total(self) -> float:
        return sum(self.values.values())


def daily_rows(queryset, date_field: str, period: Period, **aggregates) -> list[tuple]:
    """One grouped query: (day, *aggregates) rows within the period."""
    start, end = period.range
    return list(
        queryset.filter(**{f"{date_field}__gte": start, f"{date_field}__lt": end})
        .annotate(day=TruncDate(date_field))
        .values("day")
        .annotate(**aggregates)
        .order_by()
        .values_list("day", *aggregates)
    )


def daily(queryset, date_field: str, period: Period, *, value=None) -> dict[date, float]:
    """{day: count (or the ``value`` aggregate)} within the period."""
    return dict(daily_rows(queryset, date_field, period, n=value or Count("pk")))


def courses_for(user):
    return Course.objects.editable_by(user)


def trends(user, period: Period) -> dict:
    """Totals and daily series. Platform-wide rows (signups) only for staff."""
    courses = courses_for(user)
    start, end = period.range
    series = {}
    if user.is_platform_staff:
        series["signups"] = Series("New signups", daily(User.objects.all(), "date_joined", period))
        series["verified"] = Series(
            "Verified accounts", daily(Profile.objects.all(), "welcomed_at", period)
        )
    series["enrollments"] = Series(
        "Enrolments", daily(Enrollment.objects.filter(course__in=courses), "created_at", period)
    )
    progress = LessonProgress.objects.filter(lesson__section__course__in=courses)
    series["active"] = Series(
        "Active learners",
        daily(progress, "updated_at", period, value=Count("user", distinct=True)),
    )
    series["completions"] = Series(
        "Completions",
        daily(Enrollment.objects.filter(course__in=courses), "completed_at", period),
    )
    series["certificates"] = Series(
        "Certificates issued",
        daily(Certificate.objects.filter(course__in=courses), "issued_at", period),
    )
    review_rows = daily_rows(
        Review.objects.filter(course__in=courses, is_hidden=False),
        "created_at",
        period,
        n=Count("pk"),
        stars=Sum("rating"),
    )
    series["reviews"] = Series("Reviews", {day: n for day, n, _ in review_rows})
    stars = sum(s for _, _, s in review_rows)
    in_period = {"updated_at__gte": start, "updated_at__lt": end}
    totals = {key: s.total for key, s in series.items()}
    # Distinct over the whole period (not the sum of daily distinct counts).
    totals["active"] = progress.filter(**in_period).values("user").distinct().count()
    rating = stars / totals["reviews"] if totals["reviews"] else None
    return {"series": series, "totals": totals, "average_rating": rating}


def course_table(user, period: Period, *, limit: int | None = COURSE_ROWS) -> list[Course]:
    """Per course, in one query: enrolments (all time and in the period), active learners,
    completion rate, average progress and rating."""
    start, end = period.range
    active = (
        LessonProgress.objects.filter(
            lesson__section__course=OuterRef("pk"), updated_at__gte=start, updated_at__lt=end
        )
        .order_by()
        .values("lesson__section__course")
        .annotate(n=Count("user", distinct=True))
        .values("n")
    )
    completed_lessons = (
        LessonProgress.objects.filter(
            lesson__section__course=OuterRef("pk"),
            lesson__is_published=True,
            completed_at__isnull=False,
            user__enrollments__course=OuterRef("pk"),
        )
        .order_by()
        .values("lesson__section__course")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        courses_for(user)
        .select_related("category")
        .annotate(
            enrolled=Count("enrollments", distinct=True),
            enrolled_in_period=Count(
                "enrollments",
                filter=Q(enrollments__created_at__gte=start, enrollments__created_at__lt=end),
                distinct=True,
            ),
            completed=Count(
                "enrollments", filter=Q(enrollments__completed_at__isnull=False), distinct=True
            ),
            active=Coalesce(Subquery(active), 0),
            done_lessons=Coalesce(Subquery(completed_lessons), 0),
        )
        .order_by("-enrolled", "title")
    )
    rows = list(rows[:limit] if limit else rows)
    for course in rows:
        course.completion_rate = course.completed / course.enrolled if course.enrolled else 0
        possible = course.enrolled * course.lesson_count
        course.average_progress = min(1, course.done_lessons / possible) if possible else 0
    return rows


def funnel(course: Course | None) -> list[tuple[Lesson, int]]:
    """How many students reached (opened or watched) each lesson of one course, in order.

    ``course`` must come from the user's own course table (that is the scoping)."""
    if course is None:
        return []
    lessons = list(
        Lesson.objects.filter(section__course=course, is_published=True)
        .annotate(reached=Count("progress__user", distinct=True))
        .order_by("section__order", "order")
    )
    return [(lesson, lesson.reached) for lesson in lessons]


def top_categories(user) -> list[Category]:
    """Categories by enrolments in the user's courses, with their completion rate."""
    courses = courses_for(user)
    rows = (
        Category.objects.filter(courses__in=courses)
        .annotate(
            enrolled=Count("courses__enrollments", filter=Q(courses__in=courses)),
            completed=Count(
                "courses__enrollments",
                filter=Q(courses__in=courses, courses__enrollments__completed_at__isnull=False),
            ),
        )
        .annotate(
            completion_rate=Coalesce(
                F("completed") * Value(1.0) / NullIf(F("enrolled"), 0),
                Value(0.0),
                output_field=FloatField(),
            )
        )
        .filter(enrolled__gt=0)
        .order_by("-enrolled", "name")
    )
    return list(rows[:10])


def svg_line(points: list[tuple[date, float]], *, width=560, height=120, pad=6) -> dict:
    """Coordinates for a server-rendered SVG line chart of daily values."""
    values = [v for _, v in points]
    peak = max(values, default=0)
    top = peak or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = [
        (pad + i * step, height - pad - (v / top) * (height - 2 * pad))
        for i, (_, v) in enumerate(points)
    ]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    area = (
        f"{pad:.1f},{height - pad:.1f} {line} {coords[-1][0]:.1f},{height - pad:.1f}"
        if coords
        else ""
    )
    return {
        "line": line,
        "area": area,
        "max": top,
        "width": width,
        "height": height,
        "first": points[0][0] if points else None,
        "last": points[-1][0] if points else None,
    }
