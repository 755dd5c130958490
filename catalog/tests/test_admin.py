"""Authoring in the admin: instructors reach only their own courses; staff reach all."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Category, Course, Lesson, Section
from catalog.tests.factories import (
    SAMPLE_MP4,
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    SectionFactory,
    published_course,
)

pytestmark = pytest.mark.django_db


def inline_management(prefix, total=0, initial=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def course_form(category, **overrides):
    return {
        "title": "My new course",
        "slug": "my-new-course",
        "subtitle": "",
        "category": category.pk,
        "level": "beginner",
        "language": "en",
        "price": "0",
        "description": "",
        "what_you_will_learn": "",
        "requirements": "",
        "status": "draft",
        **overrides,
    }


def post_new_lesson(client, section, video):
    """Save the section's admin page with one new lesson carrying ``video``."""
    data = {
        "course": section.course_id,
        "title": section.title,
        **inline_management("lessons", total=1),
        "lessons-0-title": "Intro",
        "lessons-0-description": "",
        "lessons-0-is_published": "on",
        "lessons-0-video": video,
    }
    return client.post(reverse("admin:catalog_section_change", args=[section.pk]), data)


@pytest.fixture
def theirs(other_instructor):
    """Another instructor's course with a section and a lesson."""
    course = published_course(instructor=other_instructor)
    return course, course.sections.first(), Lesson.objects.filter(section__course=course).first()


def test_instructor_creates_a_course_and_owns_it(client, instructor):
    client.force_login(instructor)
    response = client.post(reverse("admin:catalog_course_add"), course_form(CategoryFactory()))
    assert response.status_code == 302, response.context["adminform"].form.errors
    course = Course.objects.get(slug="my-new-course")
    assert course.instructor == instructor
    assert course.status == Course.Status.DRAFT
    # Its sections are added on its page, in the curriculum builder.
    add_section = reverse("admin:catalog_course_curriculum_add_section", args=[course.pk])
    assert client.post(add_section, {"title": "First steps"}).status_code == 302
    assert list(course.sections.values_list("title", flat=True)) == ["First steps"]


def test_instructor_adds_a_lesson_with_a_real_video(client, instructor):
    client.force_login(instructor)
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    video = SimpleUploadedFile("intro.mp4", SAMPLE_MP4.read_bytes(), "video/mp4")
    response = post_new_lesson(client, section, video)
    assert response.status_code == 302
    lesson = Lesson.objects.get(section=section)
    assert lesson.duration == 12
    section.course.refresh_from_db()
    assert (section.course.lesson_count, section.course.total_duration) == (1, 12)


def test_fake_video_in_the_admin_is_refused_with_a_message(client, instructor):
    client.force_login(instructor)
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    video = SimpleUploadedFile("virus.mp4", b"MZ" + b"\x00" * 500, "video/mp4")
    response = post_new_lesson(client, section, video)
    assert response.status_code == 200
    assert "not a playable video" in response.content.decode()
    assert not Lesson.objects.filter(section=section).exists()


def test_changelist_shows_only_own_courses(client, instructor, theirs):
    mine = CourseFactory(instructor=instructor)
    client.force_login(instructor)
    response = client.get(reverse("admin:catalog_course_changelist"))
    assert list(response.context["cl"].result_list) == [mine]


def test_staff_see_every_course(client, staff, instructor, theirs):
    mine = CourseFactory(instructor=instructor)
    client.force_login(staff)
    response = client.get(reverse("admin:catalog_course_changelist"))
    assert set(response.context["cl"].result_list) == {mine, theirs[0]}


@pytest.mark.parametrize(
    "url_name", ["change", "delete", "history"], ids=["change", "delete", "history"]
)
def test_direct_urls_to_someone_elses_rows_are_404(client, instructor, theirs, url_name):
    course, section, lesson = theirs
    client.force_login(instructor)
    for model, obj in (("course", course), ("section", section), ("lesson", lesson)):
        response = client.get(reverse(f"admin:catalog_{model}_{url_name}", args=[obj.pk]))
        assert response.status_code == 404, (model, url_name)
    response = client.post(
        reverse("admin:catalog_course_delete", args=[course.pk]), {"post": "yes"}
    )
    assert response.status_code == 404
    assert Course.objects.filter(pk=course.pk).exists()


def test_forged_section_id_is_refused(client, instructor, theirs):
    _, their_section, _ = theirs
    mine = SectionFactory(course=CourseFactory(instructor=instructor))
    client.force_login(instructor)
    response = client.get(reverse("admin:catalog_lesson_add"))
    choices = {c for c, _ in response.context["adminform"].form.fields["section"].choices if c}
    assert {int(str(c)) for c in choices} == {mine.pk}
    response = client.post(
        reverse("admin:catalog_lesson_add"),
        {"section": their_section.pk, "title": "Sneaky", "is_published": ""},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Lesson.objects.filter(title="Sneaky").exists()


def test_actions_ignore_someone_elses_ids(client, instructor, theirs):
    course = theirs[0]
    client.force_login(instructor)
    client.post(
        reverse("admin:catalog_course_changelist"),
        {"action": "unpublish", "_selected_action": [course.pk]},
    )
    course.refresh_from_db()
    assert course.is_published


def test_move_buttons_refuse_someone_elses_rows(client, instructor, theirs):
    _, section, lesson = theirs
    client.force_login(instructor)
    for model, obj in (("section", section), ("lesson", lesson)):
        url = reverse(f"admin:catalog_{model}_move", args=[obj.pk]) + "?direction=down"
        assert client.post(url).status_code == 404


def test_move_buttons_reorder_own_sections(client, instructor):
    course = CourseFactory(instructor=instructor)
    first, second = SectionFactory(course=course), SectionFactory(course=course)
    client.force_login(instructor)
    url = reverse("admin:catalog_section_move", args=[second.pk]) + "?direction=up"
    assert client.get(url).status_code == 405  # POST only (CSRF-protected)
    response = client.post(url)
    assert response.status_code == 302
    assert list(course.sections.order_by("order")) == [second, first]


def test_publish_action_refuses_a_course_without_lessons(client, instructor):
    empty = CourseFactory(instructor=instructor)
    ready = CourseFactory(instructor=instructor, with_thumbnail=True)
    LessonFactory(section=SectionFactory(course=ready))
    client.force_login(instructor)
    response = client.post(
        reverse("admin:catalog_course_changelist"),
        {"action": "publish", "_selected_action": [empty.pk, ready.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "cannot be published: add at least one published lesson" in page
    assert "1 course(s) published." in page
    empty.refresh_from_db()
    ready.refresh_from_db()
    assert not empty.is_published and ready.is_published


def test_publishing_an_empty_course_from_its_form_is_refused(client, instructor):
    course = CourseFactory(instructor=instructor)
    client.force_login(instructor)
    data = course_form(course.category, title=course.title, slug=course.slug, status="published")
    response = client.post(reverse("admin:catalog_course_change", args=[course.pk]), data)
    assert response.status_code == 200
    assert "cannot be published yet: add at least one published lesson" in response.content.decode()
    course.refresh_from_db()
    assert not course.is_published


def test_categories_are_staff_only(client, instructor, staff):
    client.force_login(instructor)
    assert client.get(reverse("admin:catalog_category_changelist")).status_code == 403
    assert client.get(reverse("admin:catalog_category_add")).status_code == 403
    client.force_login(staff)
    assert client.get(reverse("admin:catalog_category_changelist")).status_code == 200


def test_students_cannot_reach_authoring(client, student, theirs):
    client.force_login(student)
    response = client.get(reverse("admin:catalog_course_changelist"))
    assert response.status_code == 302  # to the admin login: not staff


def test_course_page_in_admin_offers_a_student_preview(client, instructor):
    course = CourseFactory(instructor=instructor)
    client.force_login(instructor)
    page = client.get(reverse("admin:catalog_course_change", args=[course.pk])).content.decode()
    assert "Preview as a student" in page
    assert course.get_absolute_url() in page


def test_curriculum_builder_only_lists_the_courses_own_sections(client, instructor, theirs):
    course = CourseFactory(instructor=instructor)
    SectionFactory(course=course, title="Mine")
    client.force_login(instructor)
    page = client.get(reverse("admin:catalog_course_change", args=[course.pk])).content.decode()
    assert "Mine" in page
    assert theirs[1].title not in page
    assert Section.objects.count() == 2


def test_instructor_can_watch_any_own_lesson_from_the_admin(client, instructor):
    course = published_course(instructor=instructor, with_video=True)
    lesson = Lesson.objects.filter(section__course=course).first()
    client.force_login(instructor)
    page = client.get(reverse("admin:catalog_section_change", args=[lesson.section_id]))
    watch_url = reverse("learning:preview", args=[course.slug, lesson.pk])
    assert watch_url in page.content.decode()
    assert not lesson.is_free_preview
    assert client.get(watch_url).status_code == 200


def test_autocomplete_offers_only_own_courses_and_sections(client, instructor, theirs):
    mine = CourseFactory(instructor=instructor, title="Mine to pick")
    my_section = SectionFactory(course=mine, title="My section")
    client.force_login(instructor)
    url = reverse("admin:autocomplete")
    courses = client.get(
        url, {"app_label": "catalog", "model_name": "section", "field_name": "course", "term": ""}
    ).json()
    assert [r["id"] for r in courses["results"]] == [str(mine.pk)]
    sections = client.get(
        url, {"app_label": "catalog", "model_name": "lesson", "field_name": "section", "term": ""}
    ).json()
    assert [r["id"] for r in sections["results"]] == [str(my_section.pk)]


def test_thumbnail_is_validated_resized_and_replaced(
    client, instructor, settings, django_capture_on_commit_callbacks
):
    import io
    from pathlib import Path

    from PIL import Image

    def png(size, color):
        buffer = io.BytesIO()
        Image.new("RGB", size, color).save(buffer, format="PNG")
        return SimpleUploadedFile("cover.png", buffer.getvalue(), "image/png")

    course = CourseFactory(instructor=instructor)
    client.force_login(instructor)
    url = reverse("admin:catalog_course_change", args=[course.pk])
    data = course_form(course.category, title=course.title, slug=course.slug)
    fake = SimpleUploadedFile("cover.png", b"not an image at all", "image/png")
    response = client.post(url, {**data, "thumbnail": fake})
    assert response.status_code == 200 and "Upload a valid image" in response.content.decode()

    assert client.post(url, {**data, "thumbnail": png((1600, 1200), "red")}).status_code == 302
    course.refresh_from_db()
    first = course.thumbnail.name
    with Image.open(course.thumbnail.path) as stored:
        assert (stored.format, stored.size) == ("WEBP", settings.THUMBNAIL_SIZE)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**data, "thumbnail": png((800, 450), "blue")})
    course.refresh_from_db()
    assert course.thumbnail.name != first
    remaining = sorted(p.name for p in Path(settings.MEDIA_ROOT, "thumbnails").iterdir())
    assert remaining == [Path(course.thumbnail.name).name]


# --- One-line text: a forged line break never reaches an email header -----------------------
ONE_LINE = "no line breaks, tabs or other control characters"
FORGED = (
    "Title\r\nBcc: victim@example.com"  # the admin's <input> cannot send this; a forged POST can
)


@pytest.mark.parametrize("field", ["title", "subtitle"])
def test_forged_line_breaks_in_a_new_course_are_refused(client, instructor, field):
    client.force_login(instructor)
    data = course_form(CategoryFactory(), **{field: FORGED})
    response = client.post(reverse("admin:catalog_course_add"), data)
    assert response.status_code == 200
    assert ONE_LINE in response.content.decode()
    assert not Course.objects.exists() and not Section.objects.exists()


def test_a_forged_line_break_in_a_new_section_is_refused(client, instructor):
    course = CourseFactory(instructor=instructor)
    client.force_login(instructor)
    add_section = reverse("admin:catalog_course_curriculum_add_section", args=[course.pk])
    response = client.post(add_section, {"title": FORGED}, follow=True)
    assert ONE_LINE in response.content.decode()
    assert not Section.objects.exists()


@pytest.mark.parametrize(
    "value", [FORGED, "Title\nBcc: x", "Title\rBcc: x", "Tab\there", "Bell\x07"]
)
def test_a_course_title_cannot_be_changed_to_control_characters(client, instructor, value):
    course = CourseFactory(instructor=instructor, title="Plain title")
    client.force_login(instructor)
    data = course_form(course.category, title=value, slug=course.slug)
    response = client.post(reverse("admin:catalog_course_change", args=[course.pk]), data)
    assert response.status_code == 200
    assert ONE_LINE in response.content.decode()
    course.refresh_from_db()
    assert course.title == "Plain title"


def test_a_lesson_title_with_a_line_break_is_refused(client, instructor):
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    client.force_login(instructor)
    data = {
        "course": section.course_id,
        "title": section.title,
        **inline_management("lessons", total=1),
        "lessons-0-title": FORGED,
        "lessons-0-description": "",
        "lessons-0-is_published": "on",
    }
    response = client.post(reverse("admin:catalog_section_change", args=[section.pk]), data)
    assert response.status_code == 200
    assert ONE_LINE in response.content.decode()
    assert not Lesson.objects.exists()


def test_a_category_name_with_a_line_break_is_refused(client, staff):
    client.force_login(staff)
    data = {"name": FORGED, "slug": "forged", "description": ""}
    response = client.post(reverse("admin:catalog_category_add"), data)
    assert response.status_code == 200
    assert ONE_LINE in response.content.decode()
    assert not Category.objects.filter(slug="forged").exists()
