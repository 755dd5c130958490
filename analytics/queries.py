"""Analytics for staff (the whole platform) and instructors (their own courses).

Every number comes from an aggregate query (``TruncDate``, ``Count``, conditional
aggregation, subqueries); the page costs the same dozen queries whatever the data size.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from accounts.models import Profile, User
from catalog.models import Category, Course, Lesson, of_editable_courses
from learning.models import ActivityDay, Certificate, Enrollment, LessonProgress, QuizAttempt
from payments.models import ZERO, Order
from payments.money import quantize
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
    money: bool = False  # Decimal amounts in settings.CURRENCY

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


def trends(user, period: Period) -> dict:
    """Totals and daily series. Platform-wide rows (signups) only for staff."""
    series = {}
    if user.is_platform_staff:
        series["signups"] = Series("New signups", daily(User.objects.all(), "date_joined", period))
        series["verified"] = Series(
            "Verified accounts", daily(Profile.objects.all(), "welcomed_at", period)
        )
    enrollments = of_editable_courses(Enrollment.objects.all(), user, "course")
    series["enrollments"] = Series("Enrolments", daily(enrollments, "created_at", period))
    activity = of_editable_courses(ActivityDay.objects.all(), user, "course")
    series["active"] = Series(
        "Active learners",
        dict(
            activity.filter(day__gte=period.start, day__lte=period.end)
            .values("day")
            .annotate(n=Count("user", distinct=True))
            .order_by()
            .values_list("day", "n")
        ),
    )
    series["completions"] = Series(
        "Completions",
        daily(enrollments, "completed_at", period),
    )
    series["certificates"] = Series(
        "Certificates issued",
        daily(of_editable_courses(Certificate.objects.all(), user, "course"), "issued_at", period),
    )
    review_rows = daily_rows(
        of_editable_courses(Review.objects.filter(is_hidden=False), user, "course"),
        "created_at",
        period,
        n=Count("pk"),
        stars=Sum("rating"),
    )
    series["reviews"] = Series("Reviews", {day: n for day, n, _ in review_rows})
    stars = sum(s for _, _, s in review_rows)
    series.update(revenue(user, period))
    totals = {key: s.total for key, s in series.items()}
    # Distinct over the whole period (not the sum of daily distinct counts).
    totals["active"] = (
        activity.filter(day__gte=period.start, day__lte=period.end)
        .values("user")
        .distinct()
        .count()
    )
    rating = stars / totals["reviews"] if totals["reviews"] else None
    return {"series": series, "totals": totals, "average_rating": rating}


def _orders(user):
    """Orders of the user's courses in the site's currency (amounts are never summed
    across currencies)."""
    return of_editable_courses(Order.objects.filter(currency=settings.CURRENCY), user, "course")


def revenue(user, period: Period) -> dict[str, Series]:
    """Gross (orders paid in the period, by ``paid_at``, refunded since or not), refunds
    (by ``refunded_at``) and net per day, as Decimals, in one query: the two grouped
    queries' rows in a UNION. Pending, failed and canceled orders count nothing."""
    start, end = period.range
    orders = _orders(user)

    def per_day(date_field, kind, statuses):
        return (
            orders.filter(
                status__in=statuses, **{f"{date_field}__gte": start, f"{date_field}__lt": end}
            )
            .annotate(day=TruncDate(date_field), kind=Value(kind))
            .values("day", "kind")
            .annotate(total=Sum("amount"))
            .order_by()
            .values_list("kind", "day", "total")
        )

    rows = per_day("paid_at", "gross", [Order.Status.PAID, Order.Status.REFUNDED]).union(
        per_day("refunded_at", "refunds", [Order.Status.REFUNDED]), all=True
    )
    values = {"gross": {}, "refunds": {}}
    for kind, day, total in rows:
        values[kind][day] = quantize(Decimal(total), settings.CURRENCY)
    net = {
        day: values["gross"].get(day, ZERO) - values["refunds"].get(day, ZERO)
        for day in values["gross"].keys() | values["refunds"].keys()
    }
    return {
        "gross": Series("Gross revenue", values["gross"], money=True),
        "refunds": Series("Refunds", values["refunds"], money=True),
        "net": Series("Net revenue", net, money=True),
    }


def _course_revenue(orders, date_field: str, statuses, period: Period):
    """A subquery: the sum of one course's ``orders`` with ``date_field`` in the period."""
    start, end = period.range
    total = (
        orders.filter(
            course=OuterRef("pk"),
            status__in=statuses,
            **{f"{date_field}__gte": start, f"{date_field}__lt": end},
        )
        .order_by()
        .values("course")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=12, decimal_places=2)
    return Coalesce(Subquery(total, output_field=money), Value(ZERO), output_field=money)


def course_table(user, period: Period, *, limit: int | None = COURSE_ROWS) -> list[Course]:
    """Per course: enrolments (all time and in the period), active learners, completion
    rate, average progress and rating: the courses, then two grouped queries over the
    enrolments and the activity days, merged here."""
    start, end = period.range
    orders = Order.objects.filter(currency=settings.CURRENCY)
    rows = list(
        Course.objects.editable_by(user)
        .select_related("category")
        .annotate(
            gross=_course_revenue(
                orders, "paid_at", [Order.Status.PAID, Order.Status.REFUNDED], period
            ),
            refunds=_course_revenue(orders, "refunded_at", [Order.Status.REFUNDED], period),
        )
    )
    enrolments = {
        row["course"]: row
        for row in of_editable_courses(Enrollment.objects.all(), user, "course")
        .values("course")
        .annotate(
            enrolled=Count("pk"),
            in_period=Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
            lessons_done=Sum("completed_lessons"),
        )
        .order_by()
    }
    active = dict(
        of_editable_courses(ActivityDay.objects.all(), user, "course")
        .filter(day__gte=period.start, day__lte=period.end)
        .values("course")
        .annotate(n=Count("user", distinct=True))
        .order_by()
        .values_list("course", "n")
    )
    empty = {"enrolled": 0, "in_period": 0, "completed": 0, "lessons_done": 0}
    for course in rows:
        stats = enrolments.get(course.pk, empty)
        course.enrolled, course.enrolled_in_period = stats["enrolled"], stats["in_period"]
        course.gross = quantize(Decimal(course.gross), settings.CURRENCY)
        course.refunds = quantize(Decimal(course.refunds), settings.CURRENCY)
        course.net = course.gross - course.refunds
        course.completed = stats["completed"]
        course.active = active.get(course.pk, 0)
        course.completion_rate = course.completed / course.enrolled if course.enrolled else 0
        possible = course.enrolled * course.lesson_count
        course.average_progress = min(1, (stats["lessons_done"] or 0) / possible) if possible else 0
    rows.sort(key=lambda c: (-c.enrolled, c.title))
    return rows[:limit] if limit else rows


def funnel(course: Course | None) -> list[tuple[Lesson, int]]:
    """How many students reached each lesson of one course, in order: opened or watched
    a video or article (it has a progress row), attempted a quiz (a failed attempt
    leaves no progress row, but the student got there). Two subqueries, one query.

    ``course`` must come from the user's own course table (that is the scoping)."""
    if course is None:
        return []

    def distinct_users(model):
        users = model.objects.filter(lesson=OuterRef("pk")).order_by().values("lesson")
        return Coalesce(Subquery(users.annotate(n=Count("user", distinct=True)).values("n")), 0)

    lessons = list(
        course.published_lessons()
        .annotate(progressed=distinct_users(LessonProgress), attempted=distinct_users(QuizAttempt))
        .order_by("section__order", "order")
    )
    return [
        (lesson, lesson.attempted if lesson.kind == Lesson.Kind.QUIZ else lesson.progressed)
        for lesson in lessons
    ]


def top_categories(courses: list[Course], *, limit: int = 10) -> list[Category]:
    """Categories by enrolments, with their completion rate, from the course table's rows
    (so the user's scoping carries over and no query is needed)."""
    categories: dict[int, Category] = {}
    for course in courses:
        category = categories.setdefault(course.category_id, course.category)
        category.enrolled = getattr(category, "enrolled", 0) + course.enrolled
        category.completed = getattr(category, "completed", 0) + course.completed
    rows = [c for c in categories.values() if c.enrolled]
    for category in rows:
        category.completion_rate = category.completed / category.enrolled
    rows.sort(key=lambda c: (-c.enrolled, c.name))
    return rows[:limit]


def svg_line(points: list[tuple[date, float]], *, width=560, height=120, pad=6) -> dict:
    """Coordinates for a server-rendered SVG line chart of daily values."""
    values = [v for _, v in points]
    peak = max(values, default=0)
    low = min(0, *values) if values else 0  # net revenue dips below zero on a refund day
    span = (peak - low) or 1
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    coords = [
        (pad + i * step, height - pad - ((v - low) / span) * (height - 2 * pad))
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
        "max": peak,
        "width": width,
        "height": height,
        "first": points[0][0] if points else None,
        "last": points[-1][0] if points else None,
    }
