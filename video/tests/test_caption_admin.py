"""Captions in the admin: on the lesson's page (and their own list), scoped like every
authoring admin — the course's instructor and staff, nobody else."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Lesson
from catalog.tests.factories import published_course
from video.models import Caption
from video.tests.factories import GOOD_VTT, add_caption

pytestmark = pytest.mark.django_db

MESSY_VTT = (
    "\ufeffWEBVTT - Lecture 1\r\n\r\nNOTE draft\r\n\r\n1\r\n00:01.000 --> 00:04.000\r\n"
    "<v Ana>Welcome to the <b>first</b> lesson.\r\n\r\n00:04.500 --> 00:08.000\r\n"
    "Tom & Jerry say &lt;hello&gt;.\r\n"
)


def vtt_upload(text: str, name="lecture.vtt") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), "text/vtt")


@pytest.fixture
def lesson(instructor):
    course = published_course(instructor=instructor, lessons=1, with_video=True)
    return Lesson.objects.get(section__course=course)


@pytest.fixture
def their_lesson(other_instructor):
    course = published_course(instructor=other_instructor, lessons=1, with_video=True)
    return Lesson.objects.get(section__course=course)


def lesson_page(lesson) -> str:
    return reverse("admin:catalog_lesson_change", args=[lesson.pk])


def save_lesson_page(client, lesson, *captions, existing=()):
    """Save the lesson's admin page with ``captions`` as new inline rows:
    (language, file) pairs; ``existing``: (caption, changes) pairs for rows already there."""
    data = {
        "section": lesson.section_id,
        "title": lesson.title,
        "description": lesson.description,
        "is_published": "on",
        "captions-TOTAL_FORMS": str(len(existing) + len(captions)),
        "captions-INITIAL_FORMS": str(len(existing)),
        "captions-MIN_NUM_FORMS": "0",
        "captions-MAX_NUM_FORMS": "1000",
    }
    for index, (caption, changes) in enumerate(existing):
        data |= {
            f"captions-{index}-id": caption.pk,
            f"captions-{index}-lesson": lesson.pk,
            f"captions-{index}-language": caption.language,
        }
        data |= {f"captions-{index}-{key}": value for key, value in changes.items()}
    for index, (language, file) in enumerate(captions, len(existing)):
        data |= {f"captions-{index}-language": language, f"captions-{index}-file": file}
    return client.post(lesson_page(lesson), data)


def errors_of(response) -> str:
    return " ".join(
        str(error)
        for formset in response.context["inline_admin_formsets"]
        for error in [*formset.formset.errors, formset.formset.non_form_errors()]
    )


# --- Uploading -------------------------------------------------------------------------------
def test_the_lesson_page_has_a_captions_section(client, instructor, lesson):
    client.force_login(instructor)
    page = client.get(lesson_page(lesson)).content.decode()
    assert "Captions (WebVTT, one file per language)" in page
    assert 'accept=".vtt,text/vtt"' in page
    assert "at most 1.0\xa0MB" in page


def test_the_courses_instructor_uploads_captions_stored_re_written(client, instructor, lesson):
    client.force_login(instructor)
    response = save_lesson_page(client, lesson, ("en", vtt_upload(MESSY_VTT)))
    assert response.status_code == 302, errors_of(response)
    caption = Caption.objects.get(lesson=lesson)
    assert caption.language == "en"
    assert caption.file.name.startswith("captions/") and caption.file.name.endswith(".vtt")
    with caption.file.open("rb") as stored:
        assert stored.read().decode() == GOOD_VTT  # BOM, CRLF, header text, NOTE gone


def test_a_bad_file_is_refused_with_its_line_and_nothing_is_saved(client, instructor, lesson):
    client.force_login(instructor)
    bad = "WEBVTT\n\n00:01.000 --> 00:02.000\nHi <script>alert(1)</script>\n"
    response = save_lesson_page(client, lesson, ("en", vtt_upload(bad)))
    assert response.status_code == 200
    assert "Line 4: “&lt;script&gt;” is not WebVTT markup" in response.content.decode()
    assert not Caption.objects.exists()


def test_one_file_per_language(client, instructor, lesson):
    client.force_login(instructor)
    response = save_lesson_page(
        client, lesson, ("en", vtt_upload(GOOD_VTT)), ("en", vtt_upload(GOOD_VTT))
    )
    assert response.status_code == 200
    assert "Please correct the duplicate data for language." in errors_of(response)
    assert not Caption.objects.exists()


def test_replacing_a_file_deletes_the_old_one(
    client, instructor, lesson, django_capture_on_commit_callbacks
):
    caption = add_caption(lesson, "en")
    old = caption.file.name
    client.force_login(instructor)
    replacement = vtt_upload("WEBVTT\n\n00:01.000 --> 00:02.000\nNew words\n")
    with django_capture_on_commit_callbacks(execute=True):
        response = save_lesson_page(client, lesson, existing=[(caption, {"file": replacement})])
    assert response.status_code == 302, errors_of(response)
    caption.refresh_from_db()
    assert caption.file.name != old
    assert not caption.file.storage.exists(old)
    assert caption.file.read().decode().endswith("New words\n")


def test_deleting_on_the_lesson_page_deletes_the_file(
    client, instructor, lesson, django_capture_on_commit_callbacks
):
    caption = add_caption(lesson, "en")
    client.force_login(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_lesson_page(client, lesson, existing=[(caption, {"DELETE": "on"})])
    assert response.status_code == 302, errors_of(response)
    assert not Caption.objects.exists()
    assert not caption.file.storage.exists(caption.file.name)


def test_staff_manage_any_courses_captions(client, staff, their_lesson):
    client.force_login(staff)
    response = save_lesson_page(client, their_lesson, ("fr", vtt_upload(GOOD_VTT)))
    assert response.status_code == 302, errors_of(response)
    assert Caption.objects.get().lesson == their_lesson
    assert client.get(reverse("admin:video_caption_changelist")).status_code == 200


# --- Someone else's course ----------------------------------------------------------------
def test_another_instructor_cannot_reach_the_lesson_page(client, instructor, their_lesson):
    client.force_login(instructor)
    assert client.get(lesson_page(their_lesson)).status_code == 404
    response = save_lesson_page(client, their_lesson, ("en", vtt_upload(GOOD_VTT)))
    assert response.status_code == 404
    assert not Caption.objects.exists()


def test_the_caption_list_is_scoped(client, instructor, lesson, their_lesson):
    mine, theirs = add_caption(lesson, "en"), add_caption(their_lesson, "en")
    client.force_login(instructor)
    response = client.get(reverse("admin:video_caption_changelist"))
    assert list(response.context["cl"].result_list) == [mine]
    for name in ("change", "delete"):
        url = reverse(f"admin:video_caption_{name}", args=[theirs.pk])
        assert client.get(url).status_code == 404, name
    response = client.post(reverse("admin:video_caption_delete", args=[theirs.pk]), {"post": "yes"})
    assert response.status_code == 404
    assert Caption.objects.filter(pk=theirs.pk).exists()


def test_a_forged_lesson_id_is_refused(client, instructor, lesson, their_lesson):
    client.force_login(instructor)
    form = client.get(reverse("admin:video_caption_add")).context["adminform"].form
    assert {int(str(value)) for value, _ in form.fields["lesson"].choices if value} == {lesson.pk}
    response = client.post(
        reverse("admin:video_caption_add"),
        {"lesson": their_lesson.pk, "language": "en", "file": vtt_upload(GOOD_VTT)},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Caption.objects.exists()


def test_the_caption_list_adds_for_ones_own_lesson(client, instructor, lesson):
    client.force_login(instructor)
    response = client.post(
        reverse("admin:video_caption_add"),
        {"lesson": lesson.pk, "language": "pt-br", "file": vtt_upload(GOOD_VTT)},
    )
    assert response.status_code == 302
    assert Caption.objects.get().language == "pt-br"


@pytest.mark.parametrize("actor", ["student", "anonymous"])
def test_students_and_strangers_have_no_caption_admin(client, request, actor, lesson):
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)
    response = client.get(reverse("admin:video_caption_changelist"))
    assert response.status_code == 302 and "login" in response.url


def test_the_caption_list_finds_by_lesson_course_and_language(client, instructor, lesson):
    add_caption(lesson, "en")
    add_caption(lesson, "pt-br")
    client.force_login(instructor)
    url = reverse("admin:video_caption_changelist")
    for query, expected in (
        (lesson.title, ["en", "pt-br"]),
        (lesson.section.course.title, ["en", "pt-br"]),
        ("pt-br", ["pt-br"]),
        ("nothing like it", []),
    ):
        found = client.get(url, {"q": query}).context["cl"].result_list
        assert sorted(caption.language for caption in found) == expected, query


def test_the_caption_list_refuses_a_second_file_in_one_language(client, instructor, lesson):
    add_caption(lesson, "en")
    client.force_login(instructor)
    response = client.post(
        reverse("admin:video_caption_add"),
        {"lesson": lesson.pk, "language": "en", "file": vtt_upload(GOOD_VTT)},
    )
    assert response.status_code == 200
    assert "already has captions in this language" in response.content.decode()
    assert Caption.objects.count() == 1


def test_deleting_from_the_caption_list_deletes_the_files(
    client, instructor, lesson, django_capture_on_commit_callbacks
):
    captions = [add_caption(lesson, "en"), add_caption(lesson, "fr")]
    client.force_login(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:video_caption_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": [c.pk for c in captions],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert not Caption.objects.exists()
    assert not any(c.file.storage.exists(c.file.name) for c in captions)


def test_a_second_file_in_a_language_already_there_is_refused(client, instructor, lesson):
    client.force_login(instructor)
    save_lesson_page(client, lesson, ("en", vtt_upload(GOOD_VTT)))
    first = Caption.objects.get()
    # A page opened before the first was saved: the new row alone, no initial rows.
    response = save_lesson_page(client, lesson, ("en", vtt_upload(GOOD_VTT)))
    assert response.status_code == 200
    assert "already has captions in this language" in errors_of(response)
    assert list(Caption.objects.all()) == [first]
