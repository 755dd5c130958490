"""Property-based API testing: Schemathesis generates requests from /api/v1/openapi.json
(valid and invalid ones) for every operation and checks each answer: never a 5xx, and
status, content type, headers and body as the schema declares them.

Bounded in the suite (the Hypothesis profile's examples per operation: 10 by default);
`pytest lms/tests/test_api_schema.py --hypothesis-profile=long` explores 300 each.
"""

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.tests.api_client import login_tokens
from accounts.tests.factories import UserFactory
from catalog.tests.factories import published_course
from learning import services as learning
from lms.api import api
from lms.wsgi import application
from reviews import services as reviews
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db

# The schema the API serves at /api/v1/openapi.json, called in-process through WSGI.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = application


@contextmanager
def the_tests_connection_kept():
    """Requests go through the real WSGI handler, whose request signals close "old"
    database connections: inside a test's transaction on PostgreSQL, the test's own (the
    next query then finds it closed, a 503). Django's test client disconnects the same
    receiver around each request for the same reason (and connects it again after)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def world(instructor, student):
    """Something for the requests to land on: a published course the student is enrolled
    in, reviewed by another student (its lessons and review reachable by id)."""
    course = published_course(instructor=instructor, sections=1, lessons=2, with_video=True)
    for lesson in course.published_lessons():
        add_caption(lesson, "en")
    learning.enroll(user=student, course=course)
    reviewer = UserFactory()
    learning.enroll(user=reviewer, course=course)
    reviews.save_review(user=reviewer, course=course, rating=4, text="Clear.")
    return course


@pytest.fixture
def token(student):
    return login_tokens(student)["access_token"]  # once per operation: logins are rate limited


# Operations whose input the web's form checks further than a JSON Schema can say: a date
# of birth not in the future nor before 1900, a name that is not only spaces, a phone
# number's shape (PATCH /me); an image by its content (PUT /me/avatar). A schema-valid
# request may get a 422 there; every other check still applies. Progress reports: a
# position or segment past the lesson's own length (each lesson's, not the schema's).
# Checkout: whether a coupon code exists and applies is the data's, not the schema's.
# Quiz attempts: whether the token is the caller's and the ids are the quiz's, likewise.
FORM_CHECKED = {
    "POST /api/v1/lessons/{lesson_id}/quiz/attempts",
    "POST /api/v1/courses/{slug}/checkout",
    "PATCH /api/v1/me",
    "PUT /api/v1/me/avatar",
    "POST /api/v1/lessons/{lesson_id}/progress",
}


@schema.parametrize()
@settings(
    max_examples=settings().max_examples,  # the loaded profile's (default or long)
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_schema(case, world, token):
    excluded = [positive_data_acceptance] if case.operation.label in FORM_CHECKED else []
    with the_tests_connection_kept():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded
        )
