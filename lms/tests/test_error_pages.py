"""When a part of the machine fails, people get a page that says what happened."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(student):
    client = Client(raise_request_exception=False)
    client.force_login(student)
    cache.clear()  # the session must come from the database
    return client


def test_database_unreachable_is_a_clean_503_with_retry_after(logged_in, monkeypatch):
    def down(self):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(SessionStore, "_get_session_from_db", down)
    response = logged_in.get(reverse("learning:my_learning"))
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    assert "<h1>Lectern is briefly unavailable</h1>" in page
    assert "Traceback" not in page and "Connection refused" not in page


def test_other_errors_stay_a_500(logged_in, monkeypatch):
    def broken(self):
        raise ValueError("a bug")

    monkeypatch.setattr(SessionStore, "_get_session_from_db", broken)
    response = logged_in.get(reverse("learning:my_learning"))
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "a bug" not in response.content.decode()
