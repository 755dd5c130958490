"""Login by code, password reset by code, email change by code, and rate limits."""

import pytest
from allauth.account import app_settings as allauth_settings
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import CODE_RE, UNUSABLE_CODE, after_seconds, emails_to, last_code

pytestmark = pytest.mark.django_db

REQUEST_LOGIN_CODE = reverse("account_request_login_code")
CONFIRM_LOGIN_CODE = reverse("account_confirm_login_code")
RESET = reverse("account_reset_password")
CONFIRM_RESET = reverse("account_confirm_password_reset_code")
COMPLETE_RESET = reverse("account_complete_password_reset")


def current_user(client):
    return client.get(reverse("home")).wsgi_request.user


def test_login_page_offers_login_by_code(client):
    page = client.get(reverse("account_login")).content.decode()
    assert REQUEST_LOGIN_CODE in page


def test_login_by_code(client):
    user = UserFactory()
    response = client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    assert response.status_code == 302 and response.url == CONFIRM_LOGIN_CODE
    code = last_code(user.email)
    assert code not in client.get(CONFIRM_LOGIN_CODE).content.decode()
    client.post(CONFIRM_LOGIN_CODE, {"code": code})
    assert current_user(client) == user


def test_login_code_wrong_then_locked_out_after_three_attempts(client):
    user = UserFactory()
    client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    code = last_code(user.email)
    response = client.post(CONFIRM_LOGIN_CODE, {"code": "AAAA-AAAA"})
    assert "Incorrect code." in response.content.decode()
    for _ in range(2):
        client.post(CONFIRM_LOGIN_CODE, {"code": "AAAA-AAAA"})
    response = client.post(CONFIRM_LOGIN_CODE, {"code": code}, follow=True)
    assert not current_user(client).is_authenticated
    assert "Too many failed" in response.content.decode()


def test_expired_login_code_is_refused(client):
    user = UserFactory()
    client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    with after_seconds(allauth_settings.LOGIN_BY_CODE_TIMEOUT + 5):
        response = client.post(CONFIRM_LOGIN_CODE, {"code": last_code(user.email)}, follow=True)
    assert not current_user(client).is_authenticated
    assert UNUSABLE_CODE in response.content.decode()


def test_login_code_cannot_be_reused(client):
    user = UserFactory()
    client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    code = last_code(user.email)
    client.post(CONFIRM_LOGIN_CODE, {"code": code})
    client.post(reverse("account_logout"))
    response = client.post(CONFIRM_LOGIN_CODE, {"code": code}, follow=True)
    assert not current_user(client).is_authenticated
    assert UNUSABLE_CODE in response.content.decode()


def test_login_code_for_unknown_email_looks_the_same(client):
    user = UserFactory()
    known = client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    client.logout()
    unknown = client.post(REQUEST_LOGIN_CODE, {"email": "nobody@example.com"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    page_known = client.get(CONFIRM_LOGIN_CODE)
    assert page_known.status_code == 200


def test_login_code_requests_are_rate_limited_per_email(client):
    user = UserFactory()
    for _ in range(3):
        client.post(REQUEST_LOGIN_CODE, {"email": user.email})
        client.logout()
    response = client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    assert response.status_code in (200, 429)
    assert len(emails_to(user.email)) == 3


def test_password_reset_by_code(client):
    user = UserFactory()
    response = client.post(RESET, {"email": user.email})
    assert response.status_code == 302 and response.url == CONFIRM_RESET
    code = last_code(user.email)
    response = client.post(CONFIRM_RESET, {"code": code})
    assert response.status_code == 302 and response.url == COMPLETE_RESET
    new = "Brand-new-passw0rd!"
    response = client.post(COMPLETE_RESET, {"password1": new, "password2": new})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert not user.check_password(PASSWORD)


def test_expired_reset_code_is_refused(client):
    user = UserFactory()
    client.post(RESET, {"email": user.email})
    with after_seconds(allauth_settings.PASSWORD_RESET_BY_CODE_TIMEOUT + 5):
        response = client.post(CONFIRM_RESET, {"code": last_code(user.email)}, follow=True)
    assert UNUSABLE_CODE in response.content.decode()
    assert client.get(COMPLETE_RESET).status_code != 200


def test_password_reset_wrong_code_changes_nothing(client):
    user = UserFactory()
    client.post(RESET, {"email": user.email})
    response = client.post(CONFIRM_RESET, {"code": "AAAA-AAAA"})
    assert "Incorrect code." in response.content.decode()
    assert client.get(COMPLETE_RESET).status_code != 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_for_unknown_email_looks_the_same(client):
    user = UserFactory()
    known = client.post(RESET, {"email": user.email})
    client.logout()
    unknown = client.post(RESET, {"email": "nobody@example.com"})
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    # The unknown address's owner hears that no account exists; nobody gets a code for it.
    (notice,) = emails_to("nobody@example.com")
    assert not CODE_RE.search(notice.body)


def test_password_reset_requests_are_rate_limited(client):
    user = UserFactory()
    for _ in range(6):
        client.post(RESET, {"email": user.email})
        client.logout()
    assert len(emails_to(user.email)) <= 5


def test_change_email_is_verified_by_code(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "moved@example.com"}
    )
    assert response.status_code == 302
    # The new address is not usable until its code is entered.
    assert not EmailAddress.objects.filter(email="moved@example.com", verified=True).exists()
    user.refresh_from_db()
    assert user.email != "moved@example.com"
    code = last_code("moved@example.com")
    client.post(reverse("account_email_verification_sent"), {"code": code})
    assert EmailAddress.objects.get(email="moved@example.com").verified
    user.refresh_from_db()
    assert user.email == "moved@example.com"
    assert not EmailAddress.objects.filter(user=user).exclude(email="moved@example.com").exists()
