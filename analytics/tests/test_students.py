"""A course's students for its instructor: numbers against hand-built progress, sorting,
search, pages, CSV, scoping, and a query count that does not grow with the students."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Lesson
from catalog.tests.factories import LessonFactory, published_course
from learning import services
from learning.models import Certificate, Enrollment, LessonProgress

pytestmark = pytest.mark.django_db


def url(course, **query) -> str:
    from urllib.parse import urlencode

    base = reverse("course_students", args=[course.pk])
    return f"{base}?{urlencode(query)}" if query else base


def ago(days: int):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def course(instructor, other_instructor):
    """Four published lessons (and a draft one). Ada finished 10 days after enrolling (a
    certificate), Ben did one lesson 2 days ago, Cy enrolled today and did nothing. Dee
    is enrolled in another instructor's course only."""
    course = published_course(instructor=instructor, title="Light", sections=1, lessons=4)
    LessonFactory(section=course.sections.first(), is_published=False)
    lessons = list(course.published_lessons().order_by("order"))
    people = {
        name: UserFactory(first_name=name, last_name="Learner", email=f"{name.lower()}@ex.org")
        for name in ("Ada", "Ben", "Cy", "Dee")
    }
    for name, days in (("Ada", 30), ("Ben", 5), ("Cy", 0)):
        services.enroll(user=people[name], course=course)
        Enrollment.objects.filter(user=people[name]).update(created_at=ago(days))
    for lesson in lessons:
        services.set_completed(user=people["Ada"], lesson=lesson, completed=True)
    LessonProgress.objects.filter(user=people["Ada"]).update(updated_at=ago(20))
    services.set_completed(user=people["Ben"], lesson=lessons[0], completed=True)
    LessonProgress.objects.filter(user=people["Ben"]).update(updated_at=ago(2))
    theirs = published_course(instructor=other_instructor, title="Theirs")
    services.enroll(user=people["Dee"], course=theirs)
    course.refresh_from_db()
    course.people, course.theirs = people, theirs
    return course


def names(response) -> list[str]:
    return [e.user.first_name for e in response.context["enrolments"]]


def test_each_student_with_progress_activity_and_completion(client, instructor, course):
    client.force_login(instructor)
    response = client.get(url(course))
    assert response.status_code == 200
    rows = {e.user.first_name: e for e in response.context["enrolments"]}
    assert set(rows) == {"Ada", "Ben", "Cy"}  # not Dee: another course's student
    assert [(rows[n].done, rows[n].progress_percent) for n in ("Ada", "Ben", "Cy")] == [
        (4, 100),
        (1, 25),
        (0, 0),
    ]
    assert rows["Ada"].completed_at and rows["Ben"].completed_at is None
    assert rows["Ada"].last_activity.date() == ago(20).date()
    assert rows["Ben"].last_activity.date() == ago(2).date() and rows["Cy"].last_activity is None
    certificate = Certificate.objects.get(user=course.people["Ada"])
    assert rows["Ada"].certificate_code == certificate.code
    page = response.content.decode()
    assert "ada@ex.org" in page and "25 %" in page and "1 of 4 lessons" in page
    assert reverse("learning:verify_certificate", args=[certificate.code]) in page
    assert "Not started" in page
    assert names(response) == ["Cy", "Ben", "Ada"]  # the newest enrolment first


def test_a_revoked_certificate_is_not_linked(client, instructor, staff, course):
    certificate = Certificate.objects.get(user=course.people["Ada"])
    services.revoke_certificate(certificate=certificate, by=staff, reason="Copied work")
    client.force_login(instructor)
    page = client.get(url(course)).content.decode()
    assert certificate.code not in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("enrolled", ["Ada", "Ben", "Cy"]),
        ("-progress", ["Ada", "Ben", "Cy"]),
        ("progress", ["Cy", "Ben", "Ada"]),
        ("-activity", ["Ben", "Ada", "Cy"]),  # never active: last either way
        ("activity", ["Ada", "Ben", "Cy"]),
        ("-completed", ["Ada", "Cy", "Ben"]),  # ties: the later enrolment first
        ("name", ["Ada", "Ben", "Cy"]),
        ("-name", ["Cy", "Ben", "Ada"]),
        ("nonsense", ["Cy", "Ben", "Ada"]),  # the default
        ("-user__password", ["Cy", "Ben", "Ada"]),  # no sorting by any field one likes
    ],
)
def test_sorting(client, instructor, course, sort, expected):
    client.force_login(instructor)
    assert names(client.get(url(course, sort=sort))) == expected


def test_the_sorted_column_says_so_and_its_link_reverses_it(client, instructor, course):
    client.force_login(instructor)
    page = client.get(url(course, sort="-progress")).content.decode()
    assert '<th scope="col" aria-sort="descending"><a href="?sort=progress">Progress' in page
    assert '<a href="?sort=-activity">Last activity' in page  # a first click: latest first
    assert page.count("aria-sort=") == 1


@pytest.mark.parametrize(
    ("q", "expected"),
    [("ben", ["Ben"]), ("EX.ORG", ["Cy", "Ben", "Ada"]), ("ada learner", ["Ada"])],
)
def test_search_by_name_or_email(client, instructor, course, q, expected):
    client.force_login(instructor)
    assert names(client.get(url(course, q=q))) == expected


def test_a_search_with_markup_is_shown_as_text(client, instructor, course):
    client.force_login(instructor)
    page = client.get(url(course, q='<script>alert("x")</script>')).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "No student of this course matches" in page


def many_students(course, n: int) -> None:
    users = [UserFactory() for _ in range(n)]
    Enrollment.objects.bulk_create([Enrollment(user=u, course=course) for u in users])
    first = course.published_lessons().first()
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=u, lesson=first, completed_at=timezone.now()) for u in users]
    )


def test_pages_of_fifty(client, instructor, course):
    many_students(course, 57)
    client.force_login(instructor)
    first = client.get(url(course))
    assert len(first.context["enrolments"]) == 50 and first.context["page"].paginator.count == 60
    assert 'rel="next" href="?sort=-enrolled&amp;page=2"' in first.content.decode()
    assert len(client.get(url(course, page=2)).context["enrolments"]) == 10
    assert client.get(url(course, page=99999999999999999999)).context["page"].number == 2
    assert client.get(url(course, page="x")).context["page"].number == 1


def test_csv_has_the_same_columns_for_every_matching_student(client, instructor, course):
    many_students(course, 57)
    client.force_login(instructor)
    response = client.get(url(course, export="csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "name",
        "email",
        "enrolled",
        "progress (%)",
        "lessons completed",
        "published lessons",
        "last activity",
        "completed",
    ]
    assert len(rows) == 61  # every student, not a page
    ada = next(row for row in rows if row[1] == "ada@ex.org")
    assert ada[0] == "Ada Learner" and ada[3:6] == ["100", "4", "4"]
    assert ada[6] and ada[7]  # last activity and completion times
    cy = next(row for row in rows if row[1] == "cy@ex.org")
    assert cy[3:8] == ["0", "0", "4", "", ""]
    only_ben = list(csv.reader(io.StringIO(client.get(url(course, export="csv", q="ben@ex")).text)))
    assert [row[0] for row in only_ben[1:]] == ["Ben Learner"]


def test_csv_neutralises_formulas(client, instructor, course):
    evil = UserFactory(first_name="=HYPERLINK(1)", last_name="", email="evil@ex.org")
    services.enroll(user=evil, course=course)
    client.force_login(instructor)
    body = client.get(url(course, export="csv")).content.decode()
    assert "'=HYPERLINK(1)" in body


@pytest.mark.parametrize("export", [{}, {"export": "csv"}], ids=["page", "csv"])
def test_only_the_instructor_and_staff_see_the_students(
    client, instructor, other_instructor, staff, student, course, export
):
    assert client.get(url(course, **export)).status_code == 302  # the admin's login
    client.force_login(student)
    assert client.get(url(course, **export)).status_code == 302  # not staff: the login
    client.force_login(other_instructor)
    assert client.get(url(course, **export)).status_code == 404  # not theirs
    assert client.get(url(course.theirs, **export)).status_code == 200
    client.force_login(instructor)
    assert client.get(url(course.theirs, **export)).status_code == 404
    assert client.get(reverse("course_students", args=[999999])).status_code == 404
    client.force_login(staff)
    assert client.get(url(course, **export)).status_code == 200
    assert client.post(url(course)).status_code == 405


def test_an_empty_course(client, instructor):
    course = published_course(instructor=instructor)
    client.force_login(instructor)
    page = client.get(url(course)).content.decode()
    assert "No students yet" in page and "export=csv" not in page


@pytest.mark.parametrize("export", [{}, {"export": "csv"}], ids=["page", "csv"])
def test_the_query_count_does_not_grow_with_the_students(client, instructor, export):
    def queries(n: int) -> int:
        course = published_course(instructor=instructor, lessons=3)
        many_students(course, n)
        client.get(url(course, **export))  # warm the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(course, **export)).status_code == 200
        return len(captured)

    client.force_login(instructor)
    small, big = queries(5), queries(60)
    assert small == big <= 6


def test_the_dashboard_and_the_course_page_link_here(client, instructor, course):
    client.force_login(instructor)
    assert url(course) in client.get(reverse("dashboard")).content.decode()
    change = client.get(reverse("admin:catalog_course_change", args=[course.pk]))
    assert f'<a href="{url(course)}">Students (3) →</a>' in change.content.decode()


def test_a_deleted_lesson_does_not_leave_anyone_past_100(client, instructor, course):
    Lesson.objects.filter(section__course=course, is_published=True).first().delete()
    client.force_login(instructor)
    rows = {e.user.first_name: e for e in client.get(url(course)).context["enrolments"]}
    assert rows["Ada"].progress_percent == 100 and rows["Ada"].done == 3
