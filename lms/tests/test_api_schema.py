"""Property-based API testing: Schemathesis generates requests from /api/v1/openapi.json
(valid and invalid ones) for every operation and checks each answer: never a 5xx, and
status, content type, headers and body as the schema declares them.

Bounded in the suite (the Hypothesis profile's examples per operation: 10 by default);
`pytest lms/tests/test_api_schema.py --hypothesis-profile=long` explores 300 each.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from accounts.tests.api_client import login_tokens
from catalog.tests.factories import published_course
from learning import services as learning
from lms.api import api
from lms.wsgi import application

pytestmark = pytest.mark.django_db

# The schema the API serves at /api/v1/openapi.json, called in-process through WSGI.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = application


@pytest.fixture
def world(instructor, student):
    """Something for the requests to land on: a published course the student is enrolled
    in (its lessons and reviews reachable by id)."""
    course = published_course(instructor=instructor, sections=1, lessons=2, with_video=True)
    learning.enroll(user=student, course=course)
    return course


@pytest.fixture
def token(student):
    return login_tokens(student)["access_token"]  # once per operation: logins are rate limited


@schema.parametrize()
@settings(
    max_examples=settings().max_examples,  # the loaded profile's (default or long)
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
def test_api_conforms_to_its_schema(case, world, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
