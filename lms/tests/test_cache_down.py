"""Redis down: pages keep working, code entry fails closed."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.tests.factories import UserFactory
from accounts.tests.helpers import last_code
from catalog.tests.factories import published_course
from lms.lib.cache_backends import cache_is_up

pytestmark = pytest.mark.django_db

DOWN = {
    "default": {
        "BACKEND": "lms.lib.cache_backends.DegradingRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_an_unreachable_redis_degrades_to_no_cache(settings):
    settings.CACHES = DOWN
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.add("k", 1) is False
    cache.set("k", 1)  # dropped, no exception
    with pytest.raises(ValueError):
        cache.incr("k")
    assert not cache_is_up()


def test_pages_and_logged_in_learning_still_work(client, settings):
    course = published_course(title="Served without Redis")
    student = UserFactory()
    settings.CACHES = DOWN
    assert "Served without Redis" in client.get(reverse("catalog:courses")).content.decode()
    client.force_login(student)
    assert client.get(reverse("learning:my_learning")).status_code == 200
    assert client.get(course.get_absolute_url()).status_code == 200
    assert client.get("/healthz/").status_code == 503


def test_code_entry_fails_closed(client, settings):
    user = UserFactory()
    client.post(reverse("account_request_login_code"), {"email": user.email})
    code = last_code(user.email)
    settings.CACHES = DOWN
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 503
    assert "Codes are temporarily unavailable" in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
