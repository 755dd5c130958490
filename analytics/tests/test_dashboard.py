"""The analytics dashboard: numbers against hand-built fixtures, scoping, budgets."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Lesson
from catalog.tests.factories import CategoryFactory, published_course, quiz_lesson
from learning import services
from learning.models import Enrollment, LessonProgress, QuizAttempt
from payments.models import Order
from reviews import services as reviews

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("dashboard")


def at(days_ago: int):
    return timezone.now() - timedelta(days=days_ago)


def backdate(queryset, field: str, days_ago: int):
    queryset.update(**{field: at(days_ago)})


def order(course, status="paid", amount="49.00", paid_days_ago=None, refunded_days_ago=None):
    """An order as the payment services leave it (amounts and dates set directly: the
    dashboard reads orders, it does not make them)."""
    buyer = UserFactory()
    return Order.objects.create(
        buyer=buyer,
        buyer_email=buyer.email,
        course=course,
        course_title=course.title,
        list_price=Decimal(amount),
        amount=Decimal(amount),
        currency="USD",
        provider="test",
        status=status,
        paid_at=None if paid_days_ago is None else at(paid_days_ago),
        refunded_at=None if refunded_days_ago is None else at(refunded_days_ago),
    )


@pytest.fixture
def world(instructor, other_instructor):
    """Two instructors' courses with enrolments spread over time (a gap in the middle)."""
    code = CategoryFactory(name="Code")
    mine = published_course(title="Mine", instructor=instructor, category=code, lessons=2)
    theirs = published_course(title="Theirs", instructor=other_instructor, lessons=1)
    students = [UserFactory() for _ in range(4)]
    for student in students[:3]:
        services.enroll(user=student, course=mine)
    services.enroll(user=students[3], course=theirs)
    backdate(Enrollment.objects.filter(user=students[0]), "created_at", 40)  # outside 30 days
    backdate(Enrollment.objects.filter(user=students[1]), "created_at", 20)
    backdate(Enrollment.objects.filter(user=students[2]), "created_at", 2)
    first, second = Lesson.objects.filter(section__course=mine).order_by("order")
    for lesson in (first, second):  # students[1] completes the course
        services.set_completed(user=students[1], lesson=lesson, completed=True)
    services.record_progress(user=students[2], lesson=first, position=10, segment=(0, 10))
    reviews.save_review(user=students[1], course=mine, rating=4)
    return {"mine": mine, "theirs": theirs, "students": students, "first": first}


def test_students_and_anonymous_are_refused(client, student):
    assert client.get(DASHBOARD).status_code == 302  # to the admin login
    client.force_login(student)
    assert client.get(DASHBOARD).status_code == 302  # not staff: admin login
    assert client.get(DASHBOARD, {"export": "courses"}).status_code == 302


def test_empty_platform(client, staff):
    client.force_login(staff)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    totals = response.context["totals"]
    assert totals["enrollments"] == totals["active"] == totals["completions"] == 0
    assert "No courses yet." in response.content.decode()


def test_staff_numbers(client, staff, world):
    client.force_login(staff)
    response = client.get(DASHBOARD, {"period": "30"})
    totals = response.context["totals"]
    assert totals["enrollments"] == 3  # two of mine in the window + theirs
    assert totals["completions"] == 1 and totals["certificates"] == 1
    assert totals["active"] == 2  # two students made progress
    assert totals["reviews"] == 1 and response.context["average_rating"] == 4
    assert totals["signups"] >= 4  # students + staff + instructors joined today
    mine = next(c for c in response.context["courses"] if c.title == "Mine")
    assert (mine.enrolled, mine.enrolled_in_period, mine.active) == (3, 2, 2)
    assert mine.completion_rate == pytest.approx(1 / 3)
    assert mine.average_progress == pytest.approx(2 / 6)  # 2 of 3×2 lesson completions
    assert response.context["charts"]  # daily series for every metric


def test_periods_and_gaps(client, staff, world):
    client.force_login(staff)
    week = client.get(DASHBOARD, {"period": "7"}).context
    assert week["totals"]["enrollments"] == 2  # students[2] (2 days ago) + theirs (today)
    series = {key: s for key, s, _ in week["charts"]}["enrollments"]
    points = series.points(week["period"])
    assert len(points) == 7 and sum(v for _, v in points) == 2
    assert sum(1 for _, v in points if v == 0) == 5  # the days without enrolments are zeros
    custom = client.get(
        DASHBOARD,
        {
            "period": "custom",
            "start": (timezone.localdate() - timedelta(days=45)).isoformat(),
            "end": (timezone.localdate() - timedelta(days=10)).isoformat(),
        },
    )
    assert custom.context["totals"]["enrollments"] == 2  # 40 and 20 days ago
    bad = client.get(DASHBOARD, {"period": "custom", "start": "yesterday", "end": "2999-01-01"})
    assert (bad.context["period"].end - bad.context["period"].start).days == 29  # fallback


def test_deleted_users_leave_the_numbers_consistent(client, staff, world):
    world["students"][2].delete()
    client.force_login(staff)
    context = client.get(DASHBOARD).context
    mine = next(c for c in context["courses"] if c.title == "Mine")
    assert (mine.enrolled, mine.active) == (2, 1)
    assert context["totals"]["active"] == 1


def test_funnel_counts_students_reaching_each_lesson(client, staff, world):
    client.force_login(staff)
    context = client.get(DASHBOARD, {"course": world["mine"].pk}).context
    assert [(lesson.title, n) for lesson, n, _ in context["funnel"]] == [
        (world["first"].title, 2),
        (Lesson.objects.filter(section__course=world["mine"]).order_by("order")[1].title, 1),
    ]


def test_funnel_counts_a_quiz_reached_by_its_attempts(client, staff, world):
    """A failed attempt leaves no progress row, but the student reached the quiz."""
    section = world["first"].section
    quiz = quiz_lesson(section)
    student = world["students"][2]
    QuizAttempt.objects.create(
        user=student, lesson=quiz.lesson, number=1, quiz_version=1, score=0, passed=False
    )
    QuizAttempt.objects.create(
        user=student, lesson=quiz.lesson, number=2, quiz_version=1, score=50, passed=False
    )
    client.force_login(staff)
    context = client.get(DASHBOARD, {"course": world["mine"].pk}).context
    assert [(lesson.kind, n) for lesson, n, _ in context["funnel"]] == [
        ("video", 2),
        ("video", 1),
        ("quiz", 1),
    ]
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(
                    DASHBOARD, {"export": "funnel", "course": world["mine"].pk}
                ).content.decode()
            )
        )
    )
    assert rows[-1][-2:] == ["quiz", "1"]


def test_instructor_sees_only_own_courses_everywhere(client, instructor, world):
    client.force_login(instructor)
    response = client.get(DASHBOARD, {"course": world["theirs"].pk})  # forged course id
    page = response.content.decode()
    assert "Theirs" not in page
    assert response.context["funnel_course"] is None
    assert "signups" not in response.context["totals"]  # platform-wide numbers are staff's
    assert response.context["totals"]["enrollments"] == 2
    for table in ("courses", "categories", "trends", "funnel"):
        body = client.get(DASHBOARD, {"export": table, "course": world["theirs"].pk}).content
        assert b"Theirs" not in body, table
    rows = list(
        csv.reader(io.StringIO(client.get(DASHBOARD, {"export": "courses"}).content.decode()))
    )
    assert [row[0] for row in rows[1:]] == ["Mine"]


def test_csv_exports(client, staff, world):
    client.force_login(staff)
    response = client.get(DASHBOARD, {"export": "trends", "period": "7"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "date" and len(rows) == 8
    funnel = client.get(DASHBOARD, {"export": "funnel", "course": world["mine"].pk})
    assert len(list(csv.reader(io.StringIO(funnel.content.decode())))) == 3
    assert client.get(DASHBOARD, {"export": "nope"}).status_code == 400


def test_csv_neutralises_formulas(client, staff, instructor):
    published_course(title='=HYPERLINK("http://evil")', instructor=instructor)
    client.force_login(staff)
    body = client.get(DASHBOARD, {"export": "courses"}).content.decode()
    assert "'=HYPERLINK" in body


@pytest.mark.parametrize("size", [2, 60])
def test_dashboard_query_budget(client, staff, size, django_assert_max_num_queries):
    category = CategoryFactory()
    teacher = UserFactory()
    teacher.set_role("instructor")
    for _ in range(size):
        course = published_course(category=category, instructor=teacher, lessons=2)
        student = UserFactory()
        services.enroll(user=student, course=course)
        LessonProgress.objects.create(
            user=student, lesson=course.published_lessons().first(), completed_at=timezone.now()
        )
        quiz = quiz_lesson(course.sections.first(), questions=1)  # the funnel reads attempts
        QuizAttempt.objects.create(
            user=student, lesson=quiz.lesson, number=1, quiz_version=1, score=0, passed=False
        )
        order(course, paid_days_ago=1)
        order(course, status="refunded", paid_days_ago=3, refunded_days_ago=1)
    client.force_login(staff)
    url = DASHBOARD + f"?course={course.pk}"
    client.get(url)  # warm the session cache
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.context["course_count"] == size
    assert [n for _, n, _ in response.context["funnel"]] == [1, 0, 1]
    assert response.context["totals"]["net"] == Decimal("49.00") * size


@pytest.fixture
def sales(settings, world):
    """Mine: two paid (one 40 days ago, outside 30 days), one paid then refunded in the
    period, one refunded now that was paid before the period, a pending and a failed
    order. Theirs: one paid."""
    settings.CURRENCY = "USD"
    mine, theirs = world["mine"], world["theirs"]
    order(mine, paid_days_ago=2)
    order(mine, paid_days_ago=40)
    order(mine, status="refunded", amount="20.00", paid_days_ago=5, refunded_days_ago=1)
    order(mine, status="refunded", amount="30.00", paid_days_ago=60, refunded_days_ago=0)
    order(mine, status="pending", amount="99.00")
    order(mine, status="failed", amount="77.00")
    order(mine, status="canceled", amount="66.00")
    order(theirs, amount="10.00", paid_days_ago=0)
    return world


def cards(context):
    return {key: series for key, series, _ in context["charts"]}


def test_staff_sees_all_revenue_refunds_subtract(client, staff, sales):
    client.force_login(staff)
    response = client.get(DASHBOARD, {"period": "30"})
    totals = response.context["totals"]
    # Paid in the period: 49 (mine) + 20 (mine, refunded since) + 10 (theirs).
    assert totals["gross"] == Decimal("79.00")
    # Refunded in the period: 20 and 30 (the 30 was paid before the period).
    assert totals["refunds"] == Decimal("50.00")
    assert totals["net"] == Decimal("29.00")
    net = cards(response.context)["net"]
    today, yesterday = timezone.localdate(), timezone.localdate() - timedelta(days=1)
    assert net.values[today] == Decimal("10.00") - Decimal("30.00")
    assert net.values[yesterday] == Decimal("-20.00")
    assert len(net.points(response.context["period"])) == 30
    mine = next(c for c in response.context["courses"] if c.title == "Mine")
    assert (mine.gross, mine.refunds, mine.net) == (
        Decimal("69.00"),
        Decimal("50.00"),
        Decimal("19.00"),
    )
    page = response.content.decode()
    assert "$79.00" in page and "$29.00" in page and "$19.00" in page
    assert "payments are not available yet" not in page


def test_pending_failed_and_canceled_orders_count_nothing(client, staff, world):
    for status in ("pending", "failed", "canceled"):
        order(world["mine"], status=status)
    client.force_login(staff)
    response = client.get(DASHBOARD)
    totals = response.context["totals"]
    assert totals["gross"] == totals["refunds"] == totals["net"] == 0
    assert all(c.net == 0 for c in response.context["courses"])


def test_instructor_sees_only_their_courses_revenue(client, instructor, sales):
    client.force_login(instructor)
    response = client.get(DASHBOARD, {"period": "30"})
    totals = response.context["totals"]
    assert (totals["gross"], totals["refunds"], totals["net"]) == (
        Decimal("69.00"),
        Decimal("50.00"),
        Decimal("19.00"),
    )
    trends = list(csv.reader(io.StringIO(client.get(DASHBOARD, {"export": "trends"}).text)))
    header = trends[0]
    net = [Decimal(row[header.index("Net revenue")]) for row in trends[1:]]
    assert sum(net) == Decimal("19.00")  # theirs (10.00 today) is not in it
    courses = list(csv.reader(io.StringIO(client.get(DASHBOARD, {"export": "courses"}).text)))
    assert courses[0][-3:] == ["gross revenue (USD)", "refunds (USD)", "net revenue (USD)"]
    assert [row[0] for row in courses[1:]] == ["Mine"]
    assert courses[1][-3:] == ["69.00", "50.00", "19.00"]


def test_revenue_in_another_currency_is_not_summed(client, staff, sales, settings):
    Order.objects.update(currency="EUR")
    client.force_login(staff)
    assert client.get(DASHBOARD).context["totals"]["gross"] == 0


def test_svg_chart_of_an_empty_series_is_flat_with_zero_peak():
    from datetime import date

    from analytics.queries import svg_line

    chart = svg_line([(date(2026, 1, d), 0) for d in range(1, 8)])
    assert chart["max"] == 0
    assert {point.split(",")[1] for point in chart["line"].split()} == {"114.0"}
