"""When a part of the machine fails, people get a page that says what happened."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def database_error(kind, sqlstate: str | None, message="server closed the connection"):
    """A Django database error as the driver raises it, with PostgreSQL's SQLSTATE."""
    error = kind(message)
    if sqlstate:
        cause = Exception(message)
        cause.sqlstate = sqlstate
        error.__cause__ = cause
    return error


@pytest.fixture
def fails_with(student, monkeypatch):
    """A logged-in client whose next session read from the database raises ``error``."""
    client = Client(raise_request_exception=False)
    client.force_login(student)
    cache.clear()  # the session must come from the database

    def fail(error):
        def read(self):
            raise error

        monkeypatch.setattr(SessionStore, "_get_session_from_db", read)
        return client.get(reverse("learning:my_learning"))

    return fail


@pytest.mark.parametrize(
    "error",
    [
        database_error(InterfaceError, None, "connection already closed"),
        database_error(OperationalError, "57P01", "terminating connection: admin command"),
        database_error(OperationalError, "08006", "connection failure"),
        database_error(OperationalError, "57P03", "the database system is starting up"),
    ],
    ids=["closed", "admin-shutdown", "connection-failure", "starting-up"],
)
def test_database_unreachable_is_a_clean_503_with_retry_after(fails_with, error):
    response = fails_with(error)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "<h1>Lectern is briefly unavailable</h1>" in page
    assert "Traceback" not in page and str(error) not in page


@pytest.mark.parametrize(
    "error",
    [
        database_error(OperationalError, "57014", "canceling statement due to timeout"),
        database_error(OperationalError, "40P01", "deadlock detected"),
        database_error(OperationalError, "53100", "could not extend file: No space left"),
        ValueError("a bug"),
    ],
    ids=["statement-timeout", "deadlock", "server-disk-full", "bug"],
)
def test_failed_queries_and_bugs_stay_a_500(fails_with, error):
    response = fails_with(error)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert str(error) not in response.content.decode()
