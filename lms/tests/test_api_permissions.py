"""Every API operation, called by six kinds of caller, answers as this table says.

An operation in the OpenAPI schema without a row here fails the suite: adding an endpoint
means deciding who may call it. (Web pages have their own table:
lms/tests/test_url_permissions.py; allauth's auth endpoints are allauth's, tested in
accounts/tests/test_api_auth.py.)
"""

import json
from decimal import Decimal

import pytest
from django.test import Client

from accounts.tests.api_client import ApiClient
from accounts.tests.factories import UserFactory
from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, published_course, quiz_lesson
from learning import services as learning
from learning.models import Certificate
from lms.api import api
from payments import services as payments
from reviews import services as reviews
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db

ACTORS = ("anonymous", "student", "other_student", "instructor", "other_instructor", "staff")
ALL = (200,) * 6
SIGNED_IN = (401, 200, 200, 200, 200, 200)
MINE = (401, 200, 404, 404, 404, 404)  # only the student has a review of `course`
MINE_DELETED = (401, 204, 404, 404, 404, 404)
HIDDEN = (401, 404, 404, 404, 404, 404)  # its author is none of these

# operation id: (method, path, JSON body, outcomes for ACTORS). The world (below): the
# student is enrolled in `course` (by `instructor`) and holds a certificate of `finished`;
# `lesson` is not a free preview. "name:case" rows are extra cases of one operation.
ROWS = {
    "list_categories": ("GET", "/categories", None, ALL),
    "list_courses": ("GET", "/courses", None, ALL),
    "get_course": ("GET", "/courses/{course}", None, ALL),
    "get_course:draft": ("GET", "/courses/{draft}", None, (404, 404, 404, 200, 404, 200)),
    "enroll": ("POST", "/courses/{course}/enrollment", None, (401, 200, 201, 201, 201, 201)),
    "enroll:draft": ("POST", "/courses/{draft}/enrollment", None, (401, 404, 404, 403, 404, 403)),
    "unenroll": ("DELETE", "/courses/{course}/enrollment", None, (401, 204, 404, 404, 404, 404)),
    "list_my_courses": ("GET", "/me/courses", None, SIGNED_IN),
    "get_lesson": (
        "GET",
        "/courses/{course}/lessons/{lesson}",
        None,
        (403, 200, 403, 200, 403, 200),  # as the web: "enrol to watch", even anonymous
    ),
    "get_lesson:preview": ("GET", "/courses/{course}/lessons/{preview}", None, ALL),
    "get_course_outline": (
        "GET",
        "/courses/{course}/outline",
        None,
        (401, 200, 403, 200, 403, 200),  # who may follow the lessons: as get_lesson
    ),
    "report_progress": (
        "POST",
        "/lessons/{lesson}/progress",
        {"position": 1},
        (401, 200, 403, 403, 403, 403),
    ),
    "complete_lesson": (
        "PUT",
        "/lessons/{lesson}/completion",
        None,
        (401, 200, 403, 403, 403, 403),
    ),
    "uncomplete_lesson": (
        "DELETE",
        "/lessons/{lesson}/completion",
        None,
        (401, 200, 403, 403, 403, 403),
    ),
    # `quiz` is a quiz lesson of `course`; an invalid token is a 422 for the enrolled.
    "get_quiz": ("GET", "/lessons/{quiz}/quiz", None, (401, 200, 403, 200, 403, 200)),
    "list_quiz_attempts": (
        "GET",
        "/lessons/{quiz}/quiz/attempts",
        None,
        (401, 200, 403, 200, 403, 200),
    ),
    "submit_quiz_attempt": (
        "POST",
        "/lessons/{quiz}/quiz/attempts",
        {"token": "x", "answers": {}},
        (401, 422, 403, 403, 403, 403),
    ),
    "list_my_certificates": ("GET", "/me/certificates", None, SIGNED_IN),
    "verify_certificate": ("GET", "/certificates/{certificate}", None, ALL),
    "get_me": ("GET", "/me", None, SIGNED_IN),
    "update_me": ("PATCH", "/me", {"about": "Hello"}, SIGNED_IN),
    # This table sends JSON, so no file: the upload itself is tested in accounts.
    "set_my_avatar": ("PUT", "/me/avatar", None, (401, 422, 422, 422, 422, 422)),
    "delete_my_avatar": ("DELETE", "/me/avatar", None, (401, 204, 204, 204, 204, 204)),
    # `review` is another student's, `own` the student's, `hidden` one staff hid.
    "list_course_reviews": ("GET", "/courses/{course}/reviews", None, ALL),
    "list_course_reviews:draft": (
        "GET",
        "/courses/{draft}/reviews",
        None,
        (404, 404, 404, 200, 404, 200),
    ),
    "get_my_review": ("GET", "/courses/{course}/reviews/mine", None, MINE),
    "save_my_review": (
        "PUT",
        "/courses/{course}/reviews/mine",
        {"rating": 4},
        (401, 200, 403, 403, 403, 403),  # only enrolled students (the student edits)
    ),
    "delete_my_review": ("DELETE", "/courses/{course}/reviews/mine", None, MINE_DELETED),
    "mark_review_helpful": ("POST", "/reviews/{review}/helpful", None, SIGNED_IN),
    "mark_review_helpful:own": (
        "POST",
        "/reviews/{own}/helpful",
        None,
        (401, 403, 200, 200, 200, 200),
    ),
    "mark_review_helpful:hidden": ("POST", "/reviews/{hidden}/helpful", None, HIDDEN),
    "unmark_review_helpful": ("DELETE", "/reviews/{review}/helpful", None, SIGNED_IN),
    "report_review": (
        "POST",
        "/reviews/{review}/reports",
        {"reason": "spam"},
        (401, 201, 201, 201, 201, 201),
    ),
    "report_review:own": (
        "POST",
        "/reviews/{own}/reports",
        {"reason": "spam"},
        (401, 403, 201, 201, 201, 201),
    ),
    "report_review:hidden": ("POST", "/reviews/{hidden}/reports", {"reason": "spam"}, HIDDEN),
    "save_review_reply": (
        "PUT",
        "/reviews/{review}/reply",
        {"text": "Thanks"},
        (401, 403, 403, 200, 403, 403),
    ),
    "save_review_reply:hidden": ("PUT", "/reviews/{hidden}/reply", {"text": "Hi"}, HIDDEN),
    # `paid` is a paid course the student has a pending order for (`order`).
    "list_my_orders": ("GET", "/me/orders", None, SIGNED_IN),
    "get_my_order": ("GET", "/me/orders/{order}", None, MINE),
    "start_checkout": (
        "POST",
        "/courses/{paid}/checkout",
        {},
        (401, 200, 201, 201, 201, 201),  # the student's pending order answers again: 200
    ),
    "start_checkout:enrolled": (
        "POST",
        "/courses/{course}/checkout",
        {"coupon": ""},
        (401, 409, 403, 403, 403, 403),  # a free course: enrol instead
    ),
    "start_checkout:draft": (
        "POST",
        "/courses/{draft}/checkout",
        {},
        (401, 404, 404, 403, 404, 403),
    ),
    "delete_review_reply": (
        "DELETE",
        "/reviews/{review}/reply",
        None,
        (401, 403, 403, 204, 403, 403),
    ),
}


def operation_ids() -> set[str]:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return {
        operation["operationId"]
        for operations in schema["paths"].values()
        for operation in operations.values()
    }


def test_every_operation_has_a_decision():
    decided = {row.split(":")[0] for row in ROWS}
    assert operation_ids() - decided == set(), "add these operations to ROWS"
    assert decided - operation_ids() == set(), "these rows name no operation"


@pytest.fixture
def world(request, settings, student, other_student, instructor, other_instructor, staff):
    settings.PAYMENTS_PROVIDER = "test"
    course = published_course(instructor=instructor, sections=1, lessons=2, with_video=True)
    preview, lesson = Lesson.objects.filter(section__course=course).order_by("order")
    preview.is_free_preview = True
    preview.save(update_fields=["is_free_preview"])
    add_caption(preview, "en")
    add_caption(lesson, "en")
    quiz = quiz_lesson(lesson.section)
    learning.enroll(user=student, course=course)
    finished = published_course(instructor=instructor, lessons=1)
    learning.enroll(user=student, course=finished)
    learning.set_completed(
        user=student, lesson=finished.published_lessons().first(), completed=True
    )
    if request.node.callspec.params["row"].startswith("uncomplete_lesson"):
        learning.set_completed(user=student, lesson=lesson, completed=True)
    reviewer, hidden_author = UserFactory(), UserFactory()
    for user in (reviewer, hidden_author):
        learning.enroll(user=user, course=course)
    review, _ = reviews.save_review(user=reviewer, course=course, rating=4, text="Clear.")
    own, _ = reviews.save_review(user=student, course=course, rating=5, text="Mine.")
    hidden, _ = reviews.save_review(user=hidden_author, course=course, rating=1, text="Ad")
    reviews.set_hidden(review=hidden, hidden=True, by=staff, reason="Advertising")
    paid = published_course(instructor=instructor, price=Decimal("49.00"))
    order = payments.start_checkout(user=student, course=paid)
    people = {
        "anonymous": None,
        "student": student,
        "other_student": other_student,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "staff": staff,
    }
    return people, {
        "course": course.slug,
        "draft": CourseFactory(instructor=instructor).slug,
        "lesson": lesson.pk,
        "preview": preview.pk,
        "quiz": quiz.lesson.pk,
        "certificate": Certificate.objects.get(user=student).code,
        "review": review.pk,
        "own": own.pk,
        "hidden": hidden.pk,
        "paid": paid.slug,
        "order": order.pk,
    }


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", sorted(ROWS))
def test_operation_answers_each_caller_as_decided(world, row, actor):
    people, ids = world
    method, path, body, outcomes = ROWS[row]
    client = ApiClient(people[actor])
    url = "/api/v1" + path.format(**ids)
    response = client.generic(
        method,
        url,
        "" if body is None else json.dumps(body),
        content_type="application/json",
        **({"HTTP_AUTHORIZATION": f"Bearer {client.token}"} if client.token else {}),
    )
    expected = outcomes[ACTORS.index(actor)]
    assert response.status_code == expected, (row, actor, response.content[:300])
    if row.startswith("get_lesson") and expected == 200:
        # The captions it lists open for the same caller, without a cookie.
        captions = response.json()["captions"]
        assert [caption["language"] for caption in captions] == ["en"]
        assert Client().get(captions[0]["url"]).status_code == 200, (row, actor)
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
