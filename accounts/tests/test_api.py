"""The profile API, /api/v1/me: what the profile page shows, edits and uploads.

The same form and services as the page, so the same refusals with the same sentences;
what the page cannot change (email, role, staff rights, ids) the API refuses too.
"""

import io
from pathlib import Path

import pytest
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from accounts import services
from accounts.models import InstructorApplication, Profile, User
from accounts.tests.api_client import ApiClient
from accounts.tests.test_profile import png_with_declared_size

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"
AVATAR = "/api/v1/me/avatar"
ACTORS = ["student", "other_student", "instructor", "other_instructor", "staff"]


def image_bytes(size=(300, 200), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(client, content: bytes, name="me.png", field="avatar"):
    """PUT the file as multipart/form-data, as an app's HTTP library sends it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    body = encode_multipart(BOUNDARY, {field: SimpleUploadedFile(name, content, "image/png")})
    return client.put(AVATAR, body, content_type=MULTIPART_CONTENT)


def stored_avatars(settings) -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "avatars"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def saved(user) -> tuple:
    """Everything PATCH /me could change, as stored."""
    user = User.objects.get(pk=user.pk)
    profile = Profile.objects.get(user=user)
    return (
        user.email,
        user.role,
        user.is_staff,
        user.is_superuser,
        user.first_name,
        user.last_name,
        profile.display_name,
        profile.about,
        profile.date_of_birth,
        profile.gender,
        profile.phone,
        profile.avatar.name,
    )


# --- GET /me ---------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ACTORS)
def test_me_is_the_callers_own_account(request, who):
    user = request.getfixturevalue(who)
    response = ApiClient(user).get(ME)
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["email"], body["role"]) == (user.pk, user.email, user.role)
    assert body["name"] == user.profile.public_name
    assert body["can_author_courses"] == (who in ("instructor", "other_instructor", "staff"))
    assert body["avatar"] is None and body["teaching_request"] is None
    assert "password" not in body and "is_superuser" not in body


def test_me_needs_a_token():
    response = ApiClient().get(ME)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_me_shows_the_profile_and_the_teaching_request(student):
    Profile.objects.filter(user=student).update(
        display_name="Sammy", about="I like bread.", gender="other", phone="+44 20 7946 0958"
    )
    services.apply_to_teach(user=student, motivation="Baking")
    body = ApiClient(student).get(ME).json()
    assert (body["display_name"], body["name"]) == ("Sammy", "Sammy")
    assert body["about"] == "I like bread."
    assert (body["gender"], body["phone"], body["date_of_birth"]) == (
        "other",
        "+44 20 7946 0958",
        None,
    )
    assert body["teaching_request"]["status"] == "pending"
    assert body["role"] == "student" and body["can_author_courses"] is False


# --- PATCH /me --------------------------------------------------------------------------------
def test_patch_changes_only_what_was_sent(student):
    client = ApiClient(student)
    response = client.patch(
        ME, {"display_name": "Sammy", "date_of_birth": "1990-05-17", "gender": "undisclosed"}
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Sammy"
    assert response.json()["date_of_birth"] == "1990-05-17"
    response = client.patch(ME, {"about": "I like learning.", "first_name": "Samuel"})
    body = response.json()
    assert (body["first_name"], body["last_name"], body["display_name"]) == (
        "Samuel",
        "Student",
        "Sammy",
    )
    stored = saved(student)
    assert stored[4:10] == (
        "Samuel",
        "Student",
        "Sammy",
        "I like learning.",
        stored[8],
        "undisclosed",
    )
    assert str(stored[8]) == "1990-05-17"
    assert client.patch(ME, {"date_of_birth": None}).json()["date_of_birth"] is None
    assert Profile.objects.get(user=student).date_of_birth is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [  # the profile page's refusals (accounts/tests/test_profile.py), same sentences
        ("date_of_birth", "2999-01-01", "in the future"),
        ("date_of_birth", "1850-01-01", "after 1 January 1900"),
        ("date_of_birth", "not a date", "Enter a valid date"),
        ("phone", "call me maybe", "phone number"),
        ("first_name", "", "This field is required"),
        ("first_name", "Sam\r\nBcc: victim@example.com", "no line breaks"),
        ("display_name", "Sam\u2028my", "no line breaks"),
        ("display_name", "Sam\tmy", "no line breaks"),
        ("about", "nul\x00byte", "Null characters are not allowed"),
    ],
)
def test_bad_profile_input_is_refused_with_the_pages_message(student, field, value, message):
    before = saved(student)
    response = ApiClient(student).patch(ME, {"about": "changed", field: value})
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert error["field"] == field and message in error["message"]
    assert saved(student) == before


@pytest.mark.parametrize(
    "body",
    [
        {"role": "staff"},
        {"role": "instructor"},
        {"is_staff": True},
        {"is_superuser": True},
        {"email": "new@example.com"},
        {"id": 1},
        {"user": 1},
        {"avatar": "avatars/someone-elses.webp"},
        {"password": "hunter22"},
        {"welcomed_at": None},
        {"gender": "robot"},
        {"about": "x" * 2001},
        {"display_name": None},
        {"first_name": 5},
        {"date_of_birth": 19900517},
    ],
    ids=lambda body: repr(body)[:40],
)
@pytest.mark.parametrize("who", ["student", "instructor"])
def test_what_the_page_cannot_change_is_refused(request, who, body):
    user = request.getfixturevalue(who)
    before = saved(user)
    response = ApiClient(user).patch(ME, {"about": "changed", **body})
    assert response.status_code == 422
    assert response.json()["errors"]
    assert saved(user) == before


def test_script_in_the_profile_is_returned_as_plain_text(student):
    script = "<img src=x onerror=alert(1)>"
    response = ApiClient(student).patch(ME, {"display_name": script, "about": "<script>x</script>"})
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.json()["display_name"] == script
    assert Profile.objects.get(user=student).display_name == script
    assert "&lt;" not in response.content.decode()


def test_patch_needs_a_token(student):
    assert ApiClient().patch(ME, {"about": "x"}).status_code == 401


# --- The avatar ------------------------------------------------------------------------------
def test_upload_replace_and_remove_the_avatar(
    student, settings, django_capture_on_commit_callbacks
):
    client = ApiClient(student)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, image_bytes(size=(900, 600)))
    assert response.status_code == 200
    profile = Profile.objects.get(user=student)
    first = profile.avatar.name
    assert response.json()["avatar"] == f"http://testserver{profile.avatar.url}"
    with Image.open(profile.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
    assert stored_avatars(settings) == [Path(first).name]

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, image_bytes(fmt="JPEG"), name="b.jpg")
    assert response.status_code == 200
    profile.refresh_from_db()
    assert profile.avatar.name != first
    assert stored_avatars(settings) == [Path(profile.avatar.name).name]  # the old file is gone

    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(AVATAR).status_code == 204
    assert not Profile.objects.get(user=student).avatar
    assert stored_avatars(settings) == []
    assert client.get(ME).json()["avatar"] is None
    assert client.delete(AVATAR).status_code == 204  # nothing left to remove: fine


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not an image", "not a valid image"),
        (b"", "The submitted file is empty"),
        (png_with_declared_size(1, 60000), "each side must be at most"),
        (png_with_declared_size(60000, 60000), "too many pixels"),
        (b"GIF89a" + b"\x00" * 40, "not a valid image"),
    ],
    ids=["text-named-png", "empty", "1x60000", "bomb", "gif-header-only"],
)
def test_fake_and_dangerous_images_are_refused_and_change_nothing(
    student, settings, content, message, django_capture_on_commit_callbacks
):
    client = ApiClient(student)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, image_bytes())
    before = (saved(student), stored_avatars(settings))
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "avatar"
    assert (saved(student), stored_avatars(settings)) == before


def test_an_oversize_avatar_is_refused(student, settings):
    settings.AVATAR_MAX_BYTES = 10_000
    noisy = Image.effect_noise((400, 400), 100).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 10_000
    response = upload(ApiClient(student), buffer.getvalue())
    assert response.status_code == 422
    assert "the limit is 9.8\xa0KB" in response.json()["detail"]
    assert stored_avatars(settings) == [] and not Profile.objects.get(user=student).avatar


@pytest.mark.parametrize("how", ["no file", "wrong field", "json"])
def test_an_upload_without_the_file_is_refused(student, settings, how):
    client = ApiClient(student)
    if how == "json":
        response = client.put(AVATAR, {"avatar": "https://example.com/me.png"})
    elif how == "wrong field":
        response = upload(client, image_bytes(), field="picture")
    else:
        empty = encode_multipart(BOUNDARY, {})
        response = client.put(AVATAR, empty, content_type=MULTIPART_CONTENT)
    assert response.status_code == 422
    assert stored_avatars(settings) == []


def test_a_body_that_cannot_be_parsed_is_a_400_problem(student, settings):
    response = ApiClient(student).put(AVATAR, b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400  # no boundary: Django cannot split it
    assert response["Content-Type"] == "application/problem+json"
    assert stored_avatars(settings) == []


@pytest.mark.parametrize("method", ["put", "delete"])
def test_the_avatar_needs_a_token(student, settings, method):
    client = ApiClient()
    response = upload(client, image_bytes()) if method == "put" else client.delete(AVATAR)
    assert response.status_code == 401
    assert stored_avatars(settings) == []


@pytest.fixture
def refuse_avatar_updates():
    """Call it to make the database refuse any change of a profile's avatar (as a lost
    connection or a full disk on the database server would), after the file is written."""
    if connection.vendor == "postgresql":
        create = [
            "CREATE FUNCTION test_refuse_avatar() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END $$ "
            "LANGUAGE plpgsql",
            "CREATE TRIGGER test_refuse_avatar BEFORE UPDATE OF avatar ON accounts_profile "
            "FOR EACH ROW EXECUTE FUNCTION test_refuse_avatar()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS test_refuse_avatar ON accounts_profile",
            "DROP FUNCTION IF EXISTS test_refuse_avatar()",
        ]
    else:
        create = [
            "CREATE TRIGGER test_refuse_avatar BEFORE UPDATE OF avatar ON accounts_profile "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS test_refuse_avatar"]

    def install():
        with connection.cursor() as cursor:
            for statement in create:
                cursor.execute(statement)

    yield install
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


def test_a_failed_save_leaves_no_orphan_and_keeps_the_old_avatar(
    student, settings, refuse_avatar_updates, django_capture_on_commit_callbacks
):
    client = ApiClient(student, raise_request_exception=False)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, image_bytes())
    before = (saved(student), stored_avatars(settings))
    assert len(before[1]) == 1
    refuse_avatar_updates()
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, image_bytes(fmt="JPEG"), name="new.jpg")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert (saved(student), stored_avatars(settings)) == before  # the new file went too


# --- Query budgets --------------------------------------------------------------------------
@pytest.mark.parametrize("size", [2, 20])
def test_me_budget(student, staff, size, django_assert_max_num_queries):
    for n in range(size):  # earlier requests to teach, all decided
        application = services.apply_to_teach(user=student, motivation=f"Topic {n}")
        services.decide_application(application=application, approve=False, by=staff)
    client = ApiClient(student)
    # the token's user, the profile with its user, the latest request to teach
    with django_assert_max_num_queries(3):
        response = client.get(ME)
    assert response.json()["teaching_request"]["status"] == "rejected"
    assert InstructorApplication.objects.filter(user=student).count() == size
