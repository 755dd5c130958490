"""Redis down: pages keep working, every sign-in and email endpoint fails closed, and a
Redis that drops packets costs one connect timeout per pause, not one per cache call."""

import os
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import resolve, reverse

from accounts.middleware import SIGN_IN_VIEWS
from accounts.models import User
from accounts.tests.api_client import ApiClient, login_tokens
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import last_code
from catalog.tests.factories import published_course
from lms.lib.cache_backends import cache_is_up

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from harness import ThrowawayRedis

pytestmark = pytest.mark.django_db
IN_CI = os.environ.get("CI", "").lower() == "true"

UNAVAILABLE = "Logging in is briefly unavailable"
NEW_PASSWORD = "a-new-and-long-passphrase-42"
NEW_PASSWORDS = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}


def redis_at(location: str, **options) -> dict:
    return {
        "default": {
            "BACKEND": "lms.lib.cache_backends.DegradingRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2, **options},
        }
    }


DOWN = redis_at("redis://127.0.0.1:1/0")  # nothing listens on port 1: refused at once


@pytest.fixture
def blackholed_redis(monkeypatch):
    """A Redis address whose connects hang, as when a firewall drops the packets.

    A listener that never accepts, its one-place queue already taken: the kernel drops
    every further SYN, so a connect waits for its timeout (non-routable addresses such as
    10.255.255.1 are answered by this machine's network, so they cannot stand in).
    Yields the address and the list of connect attempts made to it.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    address = listener.getsockname()
    filler = socket.create_connection(address)
    with socket.socket() as probe, pytest.raises(TimeoutError):
        probe.settimeout(0.1)
        probe.connect(address)  # it really hangs
    attempts = []
    real_connect = socket.socket.connect

    def counting_connect(sock, target):
        if target == address:
            attempts.append(time.monotonic())
        return real_connect(sock, target)

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    yield f"redis://{address[0]}:{address[1]}/0", attempts
    filler.close()
    listener.close()


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


def test_code_entry_fails_closed(client, settings):
    user = UserFactory()
    client.post(reverse("account_request_login_code"), {"email": user.email})
    code = last_code(user.email)
    settings.CACHES = DOWN
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


# --- Every endpoint that takes a credential or sends an email refuses ---------------------
SIGNUP = {"first_name": "New", "last_name": "Person", "email": "newcomer@example.com"}
A_CODE = {"code": "AAAA-AAAA"}


# (url name, signed in?, form data for the user "someone@example.com")
REFUSED_POSTS = [
    ("account_login", False, {"login": "someone@example.com", "password": PASSWORD}),
    ("account_signup", False, {**SIGNUP, **NEW_PASSWORDS}),
    ("account_reset_password", False, {"email": "someone@example.com"}),
    ("account_request_login_code", False, {"email": "someone@example.com"}),
    ("account_confirm_login_code", False, A_CODE),
    ("account_email_verification_sent", False, A_CODE),
    ("account_confirm_password_reset_code", False, A_CODE),
    ("account_complete_password_reset", False, NEW_PASSWORDS),
    ("account_email", True, {"action_add": "", "email": "second@example.com"}),
    ("account_email", True, {"action_send": "", "email": "someone@example.com"}),
    ("account_change_password", True, {"oldpassword": PASSWORD, **NEW_PASSWORDS}),
    ("account_set_password", True, NEW_PASSWORDS),
    ("account_reauthenticate", True, {"password": PASSWORD}),
    ("accounts:delete", True, {"password": PASSWORD}),
]


@pytest.mark.parametrize(
    "name, signed_in, data",
    REFUSED_POSTS,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(REFUSED_POSTS)],
)
def test_sign_in_and_email_endpoints_fail_closed_while_redis_is_down(
    client, settings, name, signed_in, data
):
    user = UserFactory(email="someone@example.com")
    if signed_in:
        client.force_login(user)
    settings.CACHES = DOWN
    password_before = User.objects.get(pk=user.pk).password
    response = client.post(reverse(name), data)
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert response["Retry-After"]
    assert mail.outbox == []
    after = User.objects.filter(pk=user.pk).first()
    assert after is not None and after.password == password_before
    assert not User.objects.filter(email="newcomer@example.com").exists()
    assert list(EmailAddress.objects.values_list("email", flat=True)) == [user.email]
    current = client.get(reverse("home")).wsgi_request.user
    assert current.is_authenticated == signed_in


def test_sign_in_pages_still_open_while_redis_is_down(client, settings):
    settings.CACHES = DOWN
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()


def test_every_allauth_page_is_refused_or_takes_no_credential():
    """A new allauth URL must be put in SIGN_IN_VIEWS or here, with the reason."""
    from lms.tests.test_url_permissions import url_names

    takes_no_credential = {
        "account_logout": "ends a session",
        "account_inactive": "a notice",
        "account_password_reset_completed": "a notice",
    }
    allauth_names = {name for name in url_names() if name.startswith("account_")}
    assert allauth_names - set(SIGN_IN_VIEWS) == set(takes_no_credential)
    for name in SIGN_IN_VIEWS:
        reverse(name)  # no stale names


# --- The same for apps: allauth's endpoints under /api/v1/auth/app/v1/ ---------------------
NEW_PASSWORD = "a-new-and-long-passphrase-42"
HEADLESS = "headless:app:account:"

# (url name, method, signed in?, JSON body or a GET's headers) for "someone@example.com"
REFUSED_API_CALLS = [
    (f"{HEADLESS}login", "post", False, {"email": "someone@example.com", "password": PASSWORD}),
    ("api_auth_signup", "post", False, {**SIGNUP, "password": NEW_PASSWORD}),
    (f"{HEADLESS}request_login_code", "post", False, {"email": "someone@example.com"}),
    (f"{HEADLESS}resend_login_code", "post", False, {}),
    (f"{HEADLESS}confirm_login_code", "post", False, A_CODE),
    (f"{HEADLESS}verify_email", "post", False, {"key": "AAAA-AAAA"}),
    (f"{HEADLESS}verify_email", "get", False, {"HTTP_X_EMAIL_VERIFICATION_KEY": "AAAA-AAAA"}),
    (f"{HEADLESS}resend_email_verification_code", "post", False, {}),
    (f"{HEADLESS}verify_phone", "post", False, {"code": "123456"}),
    (f"{HEADLESS}resend_phone_verification_code", "post", False, {}),
    (f"{HEADLESS}request_password_reset", "post", False, {"email": "someone@example.com"}),
    (f"{HEADLESS}reset_password", "post", False, {"key": "AAAA-AAAA", "password": NEW_PASSWORD}),
    (f"{HEADLESS}reset_password", "get", False, {"HTTP_X_PASSWORD_RESET_KEY": "AAAA-AAAA"}),
    (f"{HEADLESS}reauthenticate", "post", True, {"password": PASSWORD}),
    (
        "api_auth_change_password",
        "post",
        True,
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    ),
    (f"{HEADLESS}manage_email", "post", True, {"email": "second@example.com"}),
    (f"{HEADLESS}manage_email", "put", True, {"email": "someone@example.com"}),  # resend
    (f"{HEADLESS}manage_phone", "post", True, {"phone": "+441234567890"}),
]


@pytest.mark.parametrize(
    "name, method, signed_in, data",
    REFUSED_API_CALLS,
    ids=[f"{name.split(':')[-1]}-{method}" for name, method, _, _ in REFUSED_API_CALLS],
)
def test_sign_in_and_email_endpoints_for_apps_fail_closed_while_redis_is_down(
    settings, name, method, signed_in, data
):
    user = UserFactory(email="someone@example.com")
    token = login_tokens(user)["access_token"] if signed_in else None
    mail.outbox.clear()
    settings.CACHES = DOWN
    password_before = User.objects.get(pk=user.pk).password
    client = ApiClient(token=token)
    if method == "get":
        response = client.get(reverse(name), **data)
    else:
        response = getattr(client, method)(reverse(name), data)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"]
    body = response.json()
    assert (body["status"], body["title"]) == (503, "Service Unavailable")
    assert "briefly unavailable" in body["detail"]
    assert "access_token" not in body.get("meta", {})
    assert mail.outbox == []
    assert User.objects.get(pk=user.pk).password == password_before
    assert not User.objects.filter(email="newcomer@example.com").exists()
    assert list(EmailAddress.objects.values_list("email", flat=True)) == [user.email]
    if token:
        assert ApiClient(token=token).get("/api/v1/me").status_code == 200


def test_apps_stay_signed_in_while_redis_is_down(settings):
    """Tokens are checked against the session in the database; refreshing takes a signed
    token that allauth counts no attempts for, so neither needs the cache."""
    tokens = login_tokens(UserFactory())
    settings.CACHES = DOWN
    assert ApiClient(token=tokens["access_token"]).get("/api/v1/me").status_code == 200
    response = ApiClient().post(
        "/api/v1/auth/app/v1/tokens/refresh", {"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200


def test_every_auth_endpoint_for_apps_is_refused_or_takes_no_credential():
    """A new allauth endpoint for apps must be put in SIGN_IN_VIEWS (and exercised in
    REFUSED_API_CALLS) or here, with the reason."""
    from lms.tests.test_url_permissions import url_names

    takes_no_credential = {
        "headless:app:config": "reads the settings apps need",
        f"{HEADLESS}current_session": "shows the session; DELETE signs out",
        "headless:app:usersessions:sessions": "lists or ends one's own sessions",
        "headless:app:tokens:refresh": "a signed refresh token, not guessable: allauth "
        "counts no attempts for it, and apps must keep working without the cache",
    }
    api_names = {n for n in url_names() if n.startswith(("headless:", "api_auth_"))}
    assert api_names - set(SIGN_IN_VIEWS) == set(takes_no_credential)
    # Each listed endpoint is tried above: by its name, or (two of allauth's that Lectern
    # serves in their place, lms/urls.py) by the name its path resolves to.
    tried = {name for name, *_ in REFUSED_API_CALLS}
    for name in api_names & SIGN_IN_VIEWS:
        assert resolve(reverse(name)).view_name in tried, name


def test_sign_in_works_again_once_redis_answers(client, settings):
    user = UserFactory()
    credentials = {"login": user.email, "password": PASSWORD}
    settings.CACHES = DOWN
    assert client.post(reverse("account_login"), credentials).status_code == 503
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    response = client.post(reverse("account_login"), credentials)
    assert response.status_code == 302
    assert client.get(reverse("home")).wsgi_request.user == user


# --- Health: liveness ignores Redis, readiness does not ------------------------------------
def test_liveness_stays_up_and_readiness_fails_while_redis_is_down(client, settings):
    settings.CACHES = DOWN
    live = client.get("/healthz/")
    assert live.status_code == 200
    assert live.json() == {"status": "ok", "database": "ok"}
    ready = client.get("/readyz/")
    assert ready.status_code == 503
    assert ready.json() == {"status": "failing", "database": "ok", "cache": "unreachable"}
    assert ready["Cache-Control"] == "no-store"


# --- The circuit breaker, against a Redis that drops packets ---------------------------------
def test_a_blackholed_redis_costs_one_connect_timeout_not_one_per_request(
    client, settings, blackholed_redis
):
    location, attempts = blackholed_redis
    course = published_course(title="Served past a black hole")
    student = UserFactory()
    settings.CACHES = redis_at(location)
    assert client.get("/healthz/").status_code == 200
    assert attempts == []  # liveness never asks the cache
    client.force_login(student)
    for _ in range(3):
        assert client.get(reverse("catalog:courses")).status_code == 200
        assert client.get(course.get_absolute_url()).status_code == 200
        assert client.get(reverse("learning:my_learning")).status_code == 200
    assert client.get("/readyz/").status_code == 503
    client.logout()
    credentials = {"login": student.email, "password": PASSWORD}
    assert client.post(reverse("account_login"), credentials).status_code == 503
    assert not cache_is_up()
    assert len(attempts) == 1


def test_after_the_pause_one_call_probes_redis_again(settings, blackholed_redis):
    location, attempts = blackholed_redis
    settings.CACHES = redis_at(location, DOWN_SECONDS=1)
    assert cache.get("k") is None
    assert len(attempts) == 1
    time.sleep(1.1)
    assert not cache_is_up()  # its set probes and fails; its get does not try again
    assert len(attempts) == 2


def test_redis_coming_back_is_used_again(settings):
    if not shutil.which("redis-server"):  # as the load test: required under CI
        message = "needs redis-server (apt-get install redis-server)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    redis = ThrowawayRedis()
    redis.start()
    try:
        settings.CACHES = redis_at(redis.url, DOWN_SECONDS=0.5)
        assert cache_is_up()
        redis.stop()
        assert not cache_is_up()
        redis.start()  # the same port
        deadline = time.monotonic() + 10
        while not cache_is_up() and time.monotonic() < deadline:
            time.sleep(0.1)
        cache.set("k", "back", 5)
        assert cache.get("k") == "back"
    finally:
        redis.stop()
