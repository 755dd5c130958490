"""The profile page: details, avatar validation and files, teaching requests, deletion."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import InstructorApplication, Profile, User
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")


def image_upload(name="me.png", size=(300, 200), fmt="PNG", color=(200, 40, 40)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def profile_data(**overrides):
    return {
        "first_name": "Sam",
        "last_name": "Student",
        "display_name": "Sammy",
        "about": "I like learning.",
        "date_of_birth": "1990-05-17",
        "gender": "undisclosed",
        "phone": "+44 20 7946 0958",
        **overrides,
    }


def stored_avatars(settings) -> list[str]:
    folder = Path(settings.MEDIA_ROOT) / "avatars"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_profile_requires_login(client):
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_profile_page_has_labelled_fields_and_one_heading(client, student):
    client.force_login(student)
    page = client.get(PROFILE).content.decode()
    assert page.count("<h1") == 1
    for field in ("first_name", "display_name", "about", "date_of_birth", "gender", "phone"):
        assert f'for="id_{field}"' in page
    assert 'for="id_avatar_upload"' in page


def test_edit_profile(client, student):
    client.force_login(student)
    response = client.post(PROFILE, profile_data(first_name="Samuel"))
    assert response.status_code == 302
    profile = Profile.objects.get(user=student)
    assert profile.display_name == "Sammy"
    assert str(profile.date_of_birth) == "1990-05-17"
    assert profile.phone == "+44 20 7946 0958"
    student.refresh_from_db()
    assert student.first_name == "Samuel"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", "in the future"),
        ("date_of_birth", "1850-01-01", "after 1 January 1900"),
        ("date_of_birth", "not a date", "Enter a valid date"),
        ("phone", "call me maybe", "phone number"),
        ("gender", "robot", "Select a valid choice"),
        ("about", "x" * 2001, "at most 2000 characters"),
        ("first_name", "", "This field is required"),
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(client, student, field, value, message):
    client.force_login(student)
    response = client.post(PROFILE, profile_data(**{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    profile = Profile.objects.get(user=student)
    assert profile.display_name == ""  # nothing from the refused form was saved


def test_script_in_about_is_shown_as_text(client, student):
    client.force_login(student)
    client.post(PROFILE, profile_data(display_name="<img src=x onerror=alert(1)>"))
    page = client.get(PROFILE).content.decode()
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.parametrize(
    "field,value",
    [
        ("first_name", "Sam\r\nBcc: victim@example.com"),
        ("last_name", "Student\n"),  # inside, not at the end: the form strips the ends
        ("display_name", "Sam\u2028my"),  # a Unicode line separator
        ("display_name", "Sam\tmy"),
    ],
)
def test_names_with_control_characters_are_refused(client, student, field, value):
    client.force_login(student)
    client.post(PROFILE, profile_data())
    response = client.post(PROFILE, profile_data(**{field: value + "x"}))
    assert response.status_code == 200
    assert "no line breaks, tabs or other control characters" in response.content.decode()
    student.refresh_from_db()
    student.profile.refresh_from_db()
    saved = (student.first_name, student.last_name, student.profile.display_name)
    assert saved == ("Sam", "Student", "Sammy")


def test_avatar_is_resized_reencoded_and_replaced(
    client, student, settings, django_capture_on_commit_callbacks
):
    client.force_login(student)
    client.post(PROFILE, {**profile_data(), "avatar_upload": image_upload(size=(900, 600))})
    profile = Profile.objects.get(user=student)
    first = profile.avatar.name
    with Image.open(profile.avatar.path) as stored:
        assert stored.format == "WEBP"
        assert stored.size == (settings.AVATAR_SIZE, settings.AVATAR_SIZE)
    assert stored_avatars(settings) == [Path(first).name]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, {**profile_data(), "avatar_upload": image_upload("b.jpg", fmt="JPEG")})
    profile.refresh_from_db()
    assert profile.avatar.name != first
    assert stored_avatars(settings) == [Path(profile.avatar.name).name]  # the old file is gone


def test_remove_avatar_deletes_the_file(
    client, student, settings, django_capture_on_commit_callbacks
):
    client.force_login(student)
    client.post(PROFILE, {**profile_data(), "avatar_upload": image_upload()})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PROFILE, {**profile_data(), "remove_avatar": "on"})
    assert not Profile.objects.get(user=student).avatar
    assert stored_avatars(settings) == []


def png_with_declared_size(width: int, height: int) -> bytes:
    """A tiny PNG file whose header declares ``width``×``height`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 16)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("cat.png", b"just some text, not an image", "image/png"),
            "not a valid image",
        ),
        (SimpleUploadedFile("empty.png", b"", "image/png"), "The submitted file is empty"),
        (
            SimpleUploadedFile("tall.png", png_with_declared_size(1, 60000), "image/png"),
            "each side must be at most",
        ),
        (
            SimpleUploadedFile("bomb.png", png_with_declared_size(60000, 60000), "image/png"),
            "too many pixels",
        ),
        (
            SimpleUploadedFile("wide.png", png_with_declared_size(5900, 5900), "image/png"),
            "too many pixels",
        ),
    ],
    ids=["text-named-png", "empty", "1x60000", "bomb", "big-canvas"],
)
def test_fake_and_dangerous_images_are_refused(client, student, settings, upload, message):
    client.force_login(student)
    response = client.post(PROFILE, {**profile_data(), "avatar_upload": upload})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Profile.objects.get(user=student).avatar
    assert stored_avatars(settings) == []


def test_oversize_avatar_is_refused(client, student, settings):
    settings.AVATAR_MAX_BYTES = 10_000
    client.force_login(student)
    noisy = Image.effect_noise((400, 400), 100).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 10_000
    upload = SimpleUploadedFile("big.png", buffer.getvalue(), "image/png")
    response = client.post(PROFILE, {**profile_data(), "avatar_upload": upload})
    assert "the limit is 9.8\xa0KB" in response.content.decode()
    assert stored_avatars(settings) == []


def test_ask_to_teach_from_the_profile_once(client, student):
    client.force_login(student)
    url = reverse("accounts:apply_to_teach")
    client.post(url, {"motivation": "Baking bread"})
    client.post(url, {"motivation": "Double submit"})
    (application,) = InstructorApplication.objects.filter(user=student)
    assert application.motivation == "Baking bread"
    page = client.get(PROFILE).content.decode()
    assert "Pending review" in page
    student.refresh_from_db()
    assert student.role == User.Role.STUDENT


def test_ask_to_teach_requires_post_and_login(client):
    url = reverse("accounts:apply_to_teach")
    assert client.get(url).status_code in (302, 405)
    assert client.post(url).status_code == 302
    assert not InstructorApplication.objects.exists()


def test_delete_account_needs_the_password(client, student):
    client.force_login(student)
    url = reverse("accounts:delete")
    response = client.post(url, {"password": "wrong"})
    assert response.status_code == 200
    assert "That is not your password" in response.content.decode()
    assert User.objects.filter(pk=student.pk).exists()


def test_delete_account_password_guesses_are_rate_limited(client, student):
    """The password check counts against allauth's reauthentication limit (per user), so
    a borrowed session cannot try passwords without end."""
    client.force_login(student)
    url = reverse("accounts:delete")
    for _ in range(10):
        assert client.post(url, {"password": "a guess"}).status_code == 200
    response = client.post(url, {"password": PASSWORD})
    assert response.status_code == 429
    assert User.objects.filter(pk=student.pk).exists()


def test_delete_account_removes_user_profile_avatar_and_logs_out(
    client, student, settings, django_capture_on_commit_callbacks
):
    client.force_login(student)
    client.post(PROFILE, {**profile_data(), "avatar_upload": image_upload()})
    assert stored_avatars(settings)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:delete"), {"password": PASSWORD}, follow=True)
    assert "Your account was deleted" in response.content.decode()
    assert not User.objects.filter(pk=student.pk).exists()
    assert not Profile.objects.filter(user_id=student.pk).exists()
    assert not EmailAddress.objects.filter(user_id=student.pk).exists()
    assert stored_avatars(settings) == []
    assert not response.wsgi_request.user.is_authenticated


def test_an_instructor_with_courses_cannot_delete_the_account(client, instructor):
    from catalog.tests.factories import CourseFactory

    CourseFactory(instructor=instructor)
    client.force_login(instructor)
    response = client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 200
    assert "You still own courses" in response.content.decode()
    assert User.objects.filter(pk=instructor.pk).exists()
