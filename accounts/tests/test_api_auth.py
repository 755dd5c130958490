"""Authentication for apps: allauth's headless endpoints under /api/v1/auth/app/v1/, JWTs
on Lectern's API, and every way a token must stop working.

Tokens are obtained as an app obtains them (signup and the emailed code, a password, a
login code) and tried on ``GET /api/v1/me``, an endpoint that needs one.
"""

import base64
import hashlib
import hmac
import json

import jwt
import pytest
from allauth.account.models import EmailAddress
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.forms import SignupForm
from accounts.models import InstructorApplication, User
from accounts.tests.api_client import AUTH, ApiClient, login_tokens
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import (
    CODE_RE,
    emails_to,
    in_the_race_window,
    last_code,
    tokens_after_seconds,
)

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
PROBLEM = "application/problem+json"
NEW_PASSWORD = "a-Long-new-passw0rd"
ACCESS_SECONDS = 300
REFRESH_SECONDS = 14 * 24 * 3600


# --- Helpers ------------------------------------------------------------------------------
def me(token: str):
    return ApiClient(token=token).get(ME)


def works(token: str) -> bool:
    response = me(token)
    assert response.status_code in (200, 401), response.content
    return response.status_code == 200


def signup(email="new@example.com", **extra):
    data = {
        "email": email,
        "password": NEW_PASSWORD,
        "first_name": "Nora",
        "last_name": "Newcomer",
        **extra,
    }
    return ApiClient().post(f"{AUTH}/auth/signup", data)


def with_session(response) -> dict:
    """The headers that carry a pending flow on: allauth's session token for apps."""
    return {"HTTP_X_SESSION_TOKEN": response.json()["meta"]["session_token"]}


def verify(pending, code: str):
    return ApiClient().post(f"{AUTH}/auth/email/verify", {"key": code}, **with_session(pending))


def refresh(refresh_token: str):
    return ApiClient().post(f"{AUTH}/tokens/refresh", {"refresh_token": refresh_token})


def web_login(user, password=PASSWORD) -> Client:
    """A browser signed in through the login page (a session allauth records)."""
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content
    return client


def without_session_token(body: dict) -> dict:
    return {**body, "meta": {k: v for k, v in body["meta"].items() if k != "session_token"}}


# --- Signup with the emailed code ---------------------------------------------------------
def test_signup_and_the_emailed_code_give_tokens_that_open_the_api():
    pending = signup()
    assert pending.status_code == 401  # allauth: not signed in yet, a step is pending
    assert pending["Content-Type"] == PROBLEM
    body = pending.json()
    assert {"id": "verify_email", "is_pending": True} in body["data"]["flows"]
    assert "code we emailed" in body["detail"]
    user = User.objects.get(email="new@example.com")
    assert (user.first_name, user.last_name, user.role) == ("Nora", "Newcomer", "student")
    assert not EmailAddress.objects.get(user=user).verified
    code = last_code("new@example.com")
    assert code not in pending.content.decode()  # only ever in the email

    response = verify(pending, code)
    assert response.status_code == 200
    tokens = response.json()["meta"]
    assert tokens["is_authenticated"] is True
    assert EmailAddress.objects.get(user=user).verified
    account = me(tokens["access_token"])
    assert account.status_code == 200
    assert account.json()["id"] == user.pk
    assert (account.json()["email"], account.json()["role"]) == ("new@example.com", "student")
    assert refresh(tokens["refresh_token"]).status_code == 200


def test_without_the_code_the_signup_session_opens_nothing():
    pending = signup()
    assert "access_token" not in pending.json()["meta"]
    session = with_session(pending)
    assert ApiClient().get(ME, **session).status_code == 401  # the API takes no session token
    wrong = ApiClient().post(f"{AUTH}/auth/email/verify", {"key": "AAAA-AAAA"}, **session)
    assert wrong.status_code == 400
    assert wrong.json()["detail"] == "Incorrect code."
    assert "access_token" not in wrong.json().get("meta", {})
    assert not EmailAddress.objects.get(email="new@example.com").verified


def test_signup_asks_for_the_fields_the_web_page_requires():
    page = {name for name, field in SignupForm().fields.items() if field.required}
    assert page == {"first_name", "last_name", "email", "password1", "password2"}
    response = ApiClient().post(f"{AUTH}/auth/signup", {})
    assert response.status_code == 400
    missing = {error["param"] for error in response.json()["errors"]}
    # The page asks for the password twice; an app sends it once.
    assert missing == (page - {"password2", "password1"}) | {"password"}
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    "extra, field, message",
    [
        ({"first_name": "Nora\nBcc: x@example.com"}, "first_name", "control characters"),
        ({"last_name": "x" * 151}, "last_name", "at most 150 characters"),
        ({"first_name": ""}, "first_name", "required"),
        ({"password": "password"}, "password", "too common"),
        ({"password": "new@example.com"}, "password", "too similar"),
        ({"email": "not-an-address"}, "email", "valid email"),
    ],
    ids=["newline-in-name", "long-name", "blank-name", "common-password", "like-email", "email"],
)
def test_signup_refuses_what_the_web_page_refuses(extra, field, message):
    response = signup(**extra)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    errors = {error["param"]: error["message"] for error in response.json()["errors"]}
    assert message in errors[field]
    assert not User.objects.exists()
    assert mail.outbox == []


def test_script_in_names_is_kept_as_text():
    signup(first_name="<script>alert(1)</script>")
    user = User.objects.get(email="new@example.com")
    assert user.first_name == "<script>alert(1)</script>"


def test_wanting_to_teach_files_a_request_and_grants_nothing():
    signup(wants_to_teach=True)
    user = User.objects.get(email="new@example.com")
    application = InstructorApplication.objects.get(user=user)
    assert application.status == InstructorApplication.Status.PENDING
    assert (user.role, user.is_staff) == ("student", False)


def test_signup_cannot_set_role_or_staff_rights():
    signup(role="staff", is_staff=True, is_superuser=True, email_verified=True)
    user = User.objects.get(email="new@example.com")
    assert (user.role, user.is_staff, user.is_superuser) == ("student", False, False)
    assert not EmailAddress.objects.get(user=user).verified


def test_signup_with_a_registered_address_answers_as_for_a_new_one():
    UserFactory(email="taken@example.com")
    known = signup("taken@example.com")
    unknown = signup("fresh@example.com")
    assert known.status_code == unknown.status_code == 401
    assert known["Content-Type"] == unknown["Content-Type"]
    assert without_session_token(known.json()) == without_session_token(unknown.json())
    assert User.objects.filter(email="taken@example.com").count() == 1
    # The owner is told by email, with no code; the answer says nothing.
    (notice,) = emails_to("taken@example.com")
    assert "already" in notice.body.lower()


def test_a_signup_that_loses_the_race_for_its_address_gets_the_taken_address_answer(settings):
    in_the_race_window(settings, lambda: UserFactory(email="new@example.com", verified=False))
    response = signup(wants_to_teach=True)
    assert response.status_code == 401  # as for any signup, not a 500
    assert {"id": "verify_email", "is_pending": True} in response.json()["data"]["flows"]
    assert User.objects.filter(email="new@example.com").count() == 1
    assert not InstructorApplication.objects.exists()  # nothing of the loser's was kept
    assert "already" in emails_to("new@example.com")[-1].body.lower()


# --- Login by password and by code --------------------------------------------------------
def test_password_login_gives_tokens():
    user = UserFactory()
    response = ApiClient().post(f"{AUTH}/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    tokens = response.json()["meta"]
    assert me(tokens["access_token"]).json()["id"] == user.pk


def test_a_wrong_password_gives_no_tokens_and_a_problem():
    user = UserFactory()
    response = ApiClient().post(f"{AUTH}/auth/login", {"email": user.email, "password": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The email address and/or password you specified are not correct."
    assert body["errors"][0]["field"] == "password"
    assert "access_token" not in body.get("meta", {})


def test_an_unverified_account_gets_a_code_instead_of_tokens():
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    response = ApiClient().post(f"{AUTH}/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert "access_token" not in response.json()["meta"]
    assert verify(response, last_code(user.email)).status_code == 200


def test_login_by_code_gives_tokens():
    user = UserFactory()
    pending = ApiClient().post(f"{AUTH}/auth/code/request", {"email": user.email})
    assert pending.status_code == 401
    assert {"id": "login_by_code", "is_pending": True} in pending.json()["data"]["flows"]
    confirm = f"{AUTH}/auth/code/confirm"
    wrong = ApiClient().post(confirm, {"code": "AAAA-AAAA"}, **with_session(pending))
    assert wrong.status_code == 400
    response = ApiClient().post(confirm, {"code": last_code(user.email)}, **with_session(pending))
    assert response.status_code == 200
    assert me(response.json()["meta"]["access_token"]).json()["id"] == user.pk


def test_a_login_code_for_an_unknown_address_looks_the_same():
    user = UserFactory()
    known = ApiClient().post(f"{AUTH}/auth/code/request", {"email": user.email})
    unknown = ApiClient().post(f"{AUTH}/auth/code/request", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 401
    assert without_session_token(known.json()) == without_session_token(unknown.json())
    assert last_code(user.email)
    assert not any(CODE_RE.search(m.body) for m in emails_to("nobody@example.com"))


# --- Password reset by code ---------------------------------------------------------------
def test_password_reset_by_code_ends_old_tokens_and_the_new_password_logs_in():
    user = UserFactory()
    old = login_tokens(user)
    pending = ApiClient().post(f"{AUTH}/auth/password/request", {"email": user.email})
    assert pending.status_code == 401
    reset = f"{AUTH}/auth/password/reset"
    code = last_code(user.email)
    checked = ApiClient().get(reset, HTTP_X_PASSWORD_RESET_KEY=code, **with_session(pending))
    assert checked.status_code == 200  # an app may check the code before asking for a password
    weak = ApiClient().post(reset, {"key": code, "password": "password"}, **with_session(pending))
    assert weak.status_code == 400
    response = ApiClient().post(
        reset, {"key": code, "password": NEW_PASSWORD}, **with_session(pending)
    )
    assert response.status_code == 401  # allauth: done, and not signed in
    assert response.json()["detail"] == "Your password was reset: log in with it."
    assert not works(old["access_token"])
    assert refresh(old["refresh_token"]).status_code == 400
    assert works(login_tokens(user, NEW_PASSWORD)["access_token"])


def test_password_reset_for_an_unknown_address_answers_as_for_a_known_one():
    user = UserFactory()
    known = ApiClient().post(f"{AUTH}/auth/password/request", {"email": user.email})
    unknown = ApiClient().post(f"{AUTH}/auth/password/request", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 401
    assert known["Content-Type"] == unknown["Content-Type"]
    assert without_session_token(known.json()) == without_session_token(unknown.json())
    assert last_code(user.email)
    (notice,) = emails_to("nobody@example.com")  # told no account exists, given no code
    assert not CODE_RE.search(notice.body)


# --- Token lifetimes and rotation ---------------------------------------------------------
def test_access_tokens_expire_after_five_minutes_and_refresh_gives_new_ones(student):
    tokens = login_tokens(student)
    with tokens_after_seconds(ACCESS_SECONDS - 5):
        assert works(tokens["access_token"])
    with tokens_after_seconds(ACCESS_SECONDS + 5):
        assert not works(tokens["access_token"])
        renewed = refresh(tokens["refresh_token"])
        assert renewed.status_code == 200
        assert works(renewed.json()["data"]["access_token"])


def test_refresh_tokens_expire_after_fourteen_days(student):
    tokens = login_tokens(student)
    with tokens_after_seconds(REFRESH_SECONDS + 5):
        assert refresh(tokens["refresh_token"]).status_code == 400
    with tokens_after_seconds(REFRESH_SECONDS - 60):
        assert refresh(tokens["refresh_token"]).status_code == 200


def test_each_refresh_gives_a_new_refresh_token_and_the_old_one_is_refused(student):
    first = login_tokens(student)["refresh_token"]
    response = refresh(first)
    assert response.status_code == 200
    second = response.json()["data"]
    assert second["refresh_token"] != first
    assert works(second["access_token"])
    replay = refresh(first)
    assert replay.status_code == 400
    assert replay["Content-Type"] == PROBLEM
    assert "used already" in replay.json()["detail"]
    third = refresh(second["refresh_token"])
    assert third.status_code == 200
    assert third.json()["data"]["refresh_token"] not in (first, second["refresh_token"])


def test_a_refresh_token_is_not_an_access_token_nor_the_reverse(student):
    tokens = login_tokens(student)
    assert not works(tokens["refresh_token"])
    assert refresh(tokens["access_token"]).status_code == 400


# --- Revocation ---------------------------------------------------------------------------
def test_logout_ends_the_tokens_of_that_session_only(student):
    phone, tablet = login_tokens(student), login_tokens(student)
    response = ApiClient(token=phone["access_token"]).delete(f"{AUTH}/auth/session")
    assert response.status_code == 401  # allauth: now signed out
    assert response.json()["detail"].startswith("Signed out")
    assert not works(phone["access_token"])
    assert refresh(phone["refresh_token"]).status_code == 400
    assert works(tablet["access_token"])


def test_the_session_list_shows_and_ends_an_apps_sessions(student):
    phone, tablet = login_tokens(student), login_tokens(student)
    sessions = f"{AUTH}/auth/sessions"
    listed = ApiClient(token=phone["access_token"]).get(sessions)
    assert listed.status_code == 200
    current = {s["id"]: s["is_current"] for s in listed.json()["data"]}
    assert sorted(current.values()) == [False, True]
    (other,) = [pk for pk, is_current in current.items() if not is_current]
    ended = ApiClient(token=phone["access_token"]).delete(sessions, {"sessions": [other]})
    assert ended.status_code == 200
    assert not works(tablet["access_token"])
    assert refresh(tablet["refresh_token"]).status_code == 400
    assert works(phone["access_token"])
    assert ApiClient().get(sessions).status_code == 401  # a stranger lists nothing


def test_changing_the_password_in_the_app_ends_the_other_sessions(student):
    phone, tablet = login_tokens(student), login_tokens(student)
    browser = web_login(student)
    response = ApiClient(token=phone["access_token"]).post(
        f"{AUTH}/account/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 200
    # The app that changed it stays signed in, with new tokens (its session has a new key).
    renewed = response.json()["meta"]
    assert works(renewed["access_token"])
    assert refresh(renewed["refresh_token"]).status_code == 200
    for old in (phone, tablet):
        assert not works(old["access_token"])
        assert refresh(old["refresh_token"]).status_code == 400
    assert not browser.get(reverse("home")).wsgi_request.user.is_authenticated
    assert works(login_tokens(student, NEW_PASSWORD)["access_token"])


def test_a_wrong_current_password_changes_nothing(student):
    phone = login_tokens(student)
    response = ApiClient(token=phone["access_token"]).post(
        f"{AUTH}/account/password/change", {"current_password": "nope", "new_password": "x" * 20}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "current_password"
    assert works(phone["access_token"])


def test_changing_the_password_on_the_web_ends_the_apps_tokens(student):
    phone = login_tokens(student)
    browser = web_login(student)
    response = browser.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert not works(phone["access_token"])
    assert refresh(phone["refresh_token"]).status_code == 400
    assert browser.get(reverse("home")).wsgi_request.user == student


def test_changing_the_email_on_the_web_ends_the_apps_tokens(student):
    phone = login_tokens(student)
    browser = web_login(student)
    browser.post(reverse("account_email"), {"action_add": "", "email": "moved@example.com"})
    assert works(phone["access_token"])  # nothing changes until the new address is verified
    code = last_code("moved@example.com")
    browser.post(reverse("account_email_verification_sent"), {"code": code})
    student.refresh_from_db()
    assert student.email == "moved@example.com"
    assert not works(phone["access_token"])
    assert refresh(phone["refresh_token"]).status_code == 400
    assert browser.get(reverse("home")).wsgi_request.user == student  # the one that changed it


def test_changing_the_email_in_the_app_ends_the_other_sessions(student):
    phone, tablet = login_tokens(student), login_tokens(student)
    app = ApiClient(token=phone["access_token"])
    added = app.post(f"{AUTH}/account/email", {"email": "moved@example.com"})
    assert added.status_code == 200
    verified = app.post(f"{AUTH}/auth/email/verify", {"key": last_code("moved@example.com")})
    assert verified.status_code == 200
    assert me(phone["access_token"]).json()["email"] == "moved@example.com"
    assert not works(tablet["access_token"])
    assert refresh(tablet["refresh_token"]).status_code == 400


def test_deleting_the_account_ends_its_tokens(student):
    phone = login_tokens(student)
    browser = web_login(student)
    response = browser.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=student.pk).exists()
    assert not works(phone["access_token"])
    assert refresh(phone["refresh_token"]).status_code == 400


def test_a_deactivated_accounts_tokens_are_refused(student):
    phone = login_tokens(student)
    assert works(phone["access_token"])
    student.is_active = False
    student.save(update_fields=["is_active"])
    assert not works(phone["access_token"])
    assert refresh(phone["refresh_token"]).status_code == 400
    login = ApiClient().post(f"{AUTH}/auth/login", {"email": student.email, "password": PASSWORD})
    assert "access_token" not in login.json().get("meta", {})


def test_a_web_session_is_no_api_credential(student):
    browser = web_login(student)
    assert browser.get(ME).status_code == 401


# --- GET /api/v1/me -----------------------------------------------------------------------
@pytest.mark.parametrize("actor", ["student", "instructor", "staff"])
def test_me_is_the_token_owner(request, actor):
    user = request.getfixturevalue(actor)
    response = ApiClient(user).get(ME)
    assert response.status_code == 200
    body = response.json()  # the whole profile: accounts/tests/test_api.py
    assert (body["id"], body["email"], body["role"]) == (user.pk, user.email, actor)


def test_me_for_a_stranger_is_a_401_problem():
    response = ApiClient().get(ME)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_is_described_in_the_openapi_schema(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/me"]["get"]
    assert operation["operationId"] == "get_me"
    assert set(operation["responses"]) == {"200", "401"}


@pytest.mark.parametrize("sessions", [2, 20])
def test_me_costs_the_same_however_many_sessions(student, sessions, django_assert_num_queries):
    for _ in range(sessions - 1):
        login_tokens(student)
    app = ApiClient(student)
    # The token's user (its session comes from the cache: cached_db sessions), the
    # profile, the latest teaching request.
    with django_assert_num_queries(3):
        assert app.get(ME).status_code == 200


# --- Forged tokens ------------------------------------------------------------------------
def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_json(value: dict) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def parts(token: str) -> tuple[dict, dict]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def signed(header: dict, claims: dict, key=None) -> str:
    key = key or django_settings.HEADLESS_JWT_PRIVATE_KEY
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": header["kid"]})


@pytest.fixture
def real(student):
    """A real access token's header and claims, and proof that the same claims signed with
    the server's key are accepted: each forgery below differs from that only as named."""
    header, claims = parts(login_tokens(student)["access_token"])
    assert works(signed(header, claims))
    return header, claims


def test_a_token_signed_with_another_rsa_key_is_refused(real):
    header, claims = real
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not works(signed(header, claims, key=other))


def test_an_unsigned_alg_none_token_is_refused(real):
    header, claims = real
    for alg in ("none", "None", "NONE"):
        assert not works(f"{b64_json({**header, 'alg': alg})}.{b64_json(claims)}.")


def test_a_token_with_a_changed_payload_is_refused(real, other_student):
    header, claims = real
    token = signed(header, claims)
    head, _, signature = token.split(".")
    for changed in ({"exp": claims["exp"] + 86400}, {"sub": str(other_student.pk)}):
        assert not works(f"{head}.{b64_json({**claims, **changed})}.{signature}")


def test_an_hs256_token_signed_with_the_public_key_is_refused(real):
    header, claims = real
    private = serialization.load_pem_private_key(
        django_settings.HEADLESS_JWT_PRIVATE_KEY.encode(), password=None
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{b64_json({**header, 'alg': 'HS256'})}.{b64_json(claims)}"
    for key in (public_pem, public_pem.strip()):
        signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
        assert not works(f"{signing_input}.{b64(signature)}")


def test_a_malformed_authorization_header_is_refused(student):
    token = login_tokens(student)["access_token"]
    for value in (token, f"Token {token}", "Bearer", "Bearer ", f"Bearer {token}x"):
        response = ApiClient().get(ME, HTTP_AUTHORIZATION=value)
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM


# --- Rate limits: allauth's, the same as on the web ---------------------------------------
def test_failed_logins_on_the_web_and_in_apps_count_together(student):
    browser = Client()
    for _ in range(3):
        browser.post(reverse("account_login"), {"login": student.email, "password": "nope"})
    for _ in range(2):
        ApiClient().post(f"{AUTH}/auth/login", {"email": student.email, "password": "nope"})
    # Five failures for the address: even the right password is refused for a while.
    response = ApiClient().post(
        f"{AUTH}/auth/login", {"email": student.email, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "too_many_login_attempts"
    assert response.json()["detail"].startswith("Too many failed login attempts")
    assert "access_token" not in response.json().get("meta", {})
    page = browser.post(reverse("account_login"), {"login": student.email, "password": PASSWORD})
    assert not page.wsgi_request.user.is_authenticated


def test_too_many_logins_from_one_address_get_a_429(student):
    """allauth's "login" limit (30 a minute from one IP address), web and API together."""
    for _ in range(15):
        Client().post(reverse("account_login"), {"login": student.email, "password": PASSWORD})
    for _ in range(15):
        assert login_tokens(student)
    response = ApiClient().post(
        f"{AUTH}/auth/login", {"email": student.email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "Too many attempts: try again later."
    assert "access_token" not in response.json().get("meta", {})


def test_login_codes_for_one_address_are_rate_limited(student):
    answers = [
        ApiClient().post(f"{AUTH}/auth/code/request", {"email": student.email}).status_code
        for _ in range(4)
    ]
    assert answers == [401, 401, 401, 400]  # allauth: three a minute per address
    refused = ApiClient().post(f"{AUTH}/auth/code/request", {"email": student.email}).json()
    assert refused["errors"][0]["code"] == "too_many_login_attempts"
    assert len(emails_to(student.email)) == 3


# --- allauth's answers in the API's error shape -------------------------------------------
def test_allauth_errors_keep_allauths_members_and_gain_the_apis():
    response = ApiClient().post(f"{AUTH}/auth/login", {"email": "x@example.com"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == ("about:blank", "Bad Request", 400)
    assert body["detail"] == "This field is required."
    (error,) = body["errors"]
    assert error == {
        "message": "This field is required.",
        "code": "required",
        "param": "password",
        "field": "password",
    }


@pytest.mark.parametrize(
    "method, path, data, status, detail",
    [
        ("post", "auth/code/confirm", {"code": "AAAA-AAAA"}, 409, "does not apply now"),
        ("get", "auth/session", None, 401, "Not signed in"),
        ("get", "auth/login", None, 405, "method is not allowed"),
        ("post", "auth/login", "not json", 400, "send a JSON object"),
        ("post", "auth/nothing-here", {}, 404, "No such API endpoint"),
        ("delete", "/api/v1/nothing-here", None, 404, "No such API endpoint"),
    ],
)
def test_every_auth_error_is_a_problem(method, path, data, status, detail):
    client = ApiClient()  # as an app: no CSRF cookie
    url = path if path.startswith("/") else f"{AUTH}/{path}"
    if data == "not json":
        response = client.post(url, data, content_type="application/json")
    else:
        response = getattr(client, method)(url, data)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    assert detail in body["detail"]
    if status == 405:
        assert "POST" in response["Allow"]


def test_an_ended_pending_flow_is_a_410_problem_with_allauths_flows():
    response = ApiClient().post(
        f"{AUTH}/auth/code/confirm", {"code": "AAAA-AAAA"}, HTTP_X_SESSION_TOKEN="no-such-session"
    )
    assert response.status_code == 410
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert "start again" in body["detail"]
    assert {"id": "login"} in body["data"]["flows"]


def test_an_unexpected_failure_is_a_500_problem(monkeypatch, student):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("allauth.headless.account.views.LoginView.post", broken)
    client = ApiClient(raise_request_exception=False)
    response = client.post(f"{AUTH}/auth/login", {"email": student.email, "password": PASSWORD})
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    assert response.json()["detail"].startswith("Something went wrong")


def test_successes_stay_allauths_plain_json(student):
    response = ApiClient().get(f"{AUTH}/config")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "type" not in response.json()


# --- CORS ---------------------------------------------------------------------------------
APP_ORIGIN = "https://app.example.com"


@pytest.mark.parametrize("path", ["/api/v1/courses", f"{AUTH}/auth/login"])
def test_a_listed_origin_may_call_the_api_from_a_browser(settings, path):
    settings.CORS_ALLOWED_ORIGINS = [APP_ORIGIN]
    preflight = Client().options(
        path,
        HTTP_ORIGIN=APP_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type, x-session-token",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == APP_ORIGIN
    allowed = {h.strip() for h in preflight["Access-Control-Allow-Headers"].split(",")}
    assert {"authorization", "content-type", "x-session-token"} <= allowed
    assert "POST" in preflight["Access-Control-Allow-Methods"]
    response = Client().get("/api/v1/courses", HTTP_ORIGIN=APP_ORIGIN)
    assert response["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert "retry-after" in response["Access-Control-Expose-Headers"].lower()


@pytest.mark.parametrize("listed", [[], [APP_ORIGIN]], ids=["default", "another-listed"])
def test_an_unlisted_origin_gets_no_cors_headers(settings, listed):
    if listed:
        settings.CORS_ALLOWED_ORIGINS = listed
    else:
        assert settings.CORS_ALLOWED_ORIGINS == []  # the default allows none
    origin = "https://evil.example.net"
    preflight = Client().options(
        f"{AUTH}/auth/login",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert "Access-Control-Allow-Origin" not in preflight
    response = Client().get("/api/v1/courses", HTTP_ORIGIN=origin)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_cors_is_only_for_the_api(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP_ORIGIN]
    page = Client().get(reverse("account_login"), HTTP_ORIGIN=APP_ORIGIN)
    assert "Access-Control-Allow-Origin" not in page
