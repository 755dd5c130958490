"""The publish checklist: one rule for publish(), the course form, the publish action and
the checklist's own buttons; the price as a decision; the course page showing it all."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.forms import CourseAdminForm
from catalog.models import Course
from catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    SectionFactory,
    published_course,
    tiny_thumbnail,
)
from catalog.tests.test_admin import course_form, inline_management

pytestmark = pytest.mark.django_db

ITEMS = ["lesson", "description", "thumbnail", "category", "price"]


def ready_course(**kwargs) -> Course:
    """A draft that passes every item: a published lesson, a description, a thumbnail,
    a category and a decided price."""
    course = CourseFactory(with_thumbnail=True, **kwargs)
    LessonFactory(section=SectionFactory(course=course))
    return course


def missing(course) -> list[str]:
    return [item.key for item in course.publish_checklist() if not item.done]


def change_url(course) -> str:
    return reverse("admin:catalog_course_change", args=[course.pk])


def tool_url(name: str, course) -> str:
    return reverse(f"admin:catalog_course_{name}", args=[course.pk])


# --- The rule -------------------------------------------------------------------------------
def test_a_ready_draft_has_every_item_done_and_publishes():
    course = ready_course()
    assert [item.key for item in course.publish_checklist()] == ITEMS
    assert missing(course) == [] and course.publish_problems() == []
    course.publish()
    course.refresh_from_db()
    assert course.is_published and course.published_at


@pytest.mark.parametrize(
    ("undo", "key", "message"),
    [
        (lambda c: c.sections.all().delete(), "lesson", "add at least one published lesson"),
        (lambda c: setattr(c, "description", "  \n "), "description", "write a description"),
        (lambda c: setattr(c, "thumbnail", ""), "thumbnail", "add a thumbnail"),
        (lambda c: setattr(c, "price_decided", False), "price", "decide the price"),
    ],
    ids=["lesson", "description", "thumbnail", "price"],
)
def test_each_missing_item_blocks_publishing_with_its_message(undo, key, message):
    course = ready_course()
    undo(course)
    assert missing(course) == [key]
    with pytest.raises(ValidationError, match=message):
        course.publish()
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


def test_a_course_without_a_category_is_not_ready():
    """The database requires a category, so only an unsaved course lacks one; the item is
    there so the checklist says all that publishing takes."""
    course = Course(title="Unsaved", description="Something", price_decided=True)
    assert {"lesson", "category", "thumbnail"} <= set(missing(course))


def test_an_unpublished_lesson_does_not_count():
    course = CourseFactory(with_thumbnail=True)
    LessonFactory(section=SectionFactory(course=course), is_published=False)
    assert missing(course) == ["lesson"]


def test_the_checklist_costs_one_query(django_assert_num_queries):
    course = ready_course()
    with django_assert_num_queries(1):
        course.publish_checklist()


# --- The form --------------------------------------------------------------------------------
def post_course(client, course, **overrides):
    saved = {
        "title": course.title,
        "slug": course.slug,
        "description": course.description,
        "price": str(course.price) if course.price_decided else "",
    }
    data = course_form(course.category, **{**saved, **overrides})
    data.update(inline_management("sections"))
    return client.post(change_url(course), data)


def test_the_form_shows_an_undecided_price_empty_and_accepts_it_empty(client, instructor):
    course = CourseFactory(instructor=instructor, price_decided=False)
    form = CourseAdminForm(instance=course)
    assert form["price"].value() is None and not form.fields["price"].required
    client.force_login(instructor)
    page = client.get(change_url(course)).content.decode()
    assert 'name="price"' in page and 'name="price" value="0' not in page
    response = post_course(client, course, price="")
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.price, course.price_decided) == (Decimal("0.00"), False)


@pytest.mark.parametrize("typed", ["0", "0.00", "19.99"])
def test_typing_any_price_decides_it(client, instructor, typed):
    course = CourseFactory(instructor=instructor, price_decided=False)
    client.force_login(instructor)
    assert post_course(client, course, price=typed).status_code == 302
    course.refresh_from_db()
    assert (course.price, course.price_decided) == (Decimal(typed), True)


def test_a_decided_price_shows_and_emptying_it_makes_it_undecided(client, instructor):
    course = CourseFactory(instructor=instructor, price=Decimal("25.00"))
    assert CourseAdminForm(instance=course)["price"].value() == Decimal("25.00")
    client.force_login(instructor)
    assert post_course(client, course, price="").status_code == 302
    course.refresh_from_db()
    assert (course.price, course.price_decided) == (Decimal("0.00"), False)


def test_a_negative_price_is_refused(client, instructor):
    course = CourseFactory(instructor=instructor, price_decided=False)
    client.force_login(instructor)
    response = post_course(client, course, price="-5")
    assert response.status_code == 200
    course.refresh_from_db()
    assert not course.price_decided


def test_the_form_refuses_publishing_and_names_everything_missing(client, instructor):
    course = CourseFactory(instructor=instructor, description="", price_decided=False)
    client.force_login(instructor)
    response = post_course(client, course, status="published")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["status"][0]
    for problem in (
        "add at least one published lesson",
        "write a description",
        "add a thumbnail",
        "decide the price",
    ):
        assert problem in errors
    assert not Course.objects.get(pk=course.pk).is_published


def test_the_form_counts_what_the_same_save_adds(client, instructor):
    """A description and a price typed in the save that publishes count for it."""
    course = ready_course(instructor=instructor, description="", price_decided=False)
    client.force_login(instructor)
    response = post_course(
        client, course, status="published", description="What you will do.", price="0"
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    course.refresh_from_db()
    assert course.is_published and course.price_decided


def test_clearing_the_thumbnail_of_a_published_course_is_refused(client, instructor):
    course = published_course(instructor=instructor)
    client.force_login(instructor)
    response = post_course(client, course, status="published", **{"thumbnail-clear": "on"})
    assert response.status_code == 200
    assert "A published course needs this: add a thumbnail" in response.content.decode()
    assert Course.objects.get(pk=course.pk).thumbnail


def test_a_course_published_before_the_checklist_still_saves(client, instructor):
    """What it lacked before stays a checklist item, not a lock on editing the course."""
    course = published_course(instructor=instructor)
    Course.objects.filter(pk=course.pk).update(thumbnail="", description="")
    course.refresh_from_db()
    client.force_login(instructor)
    response = post_course(client, course, status="published", title="Renamed")
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.is_published and course.title == "Renamed"


def test_the_publish_action_uses_the_same_rule(client, instructor):
    ready = ready_course(instructor=instructor)
    no_picture = CourseFactory(instructor=instructor)
    LessonFactory(section=SectionFactory(course=no_picture))
    client.force_login(instructor)
    response = client.post(
        reverse("admin:catalog_course_changelist"),
        {"action": "publish", "_selected_action": [ready.pk, no_picture.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert f"“{no_picture}” cannot be published: add a thumbnail." in page
    assert "1 course(s) published." in page
    assert Course.objects.get(pk=ready.pk).is_published
    assert not Course.objects.get(pk=no_picture.pk).is_published


# --- The course page and its buttons ---------------------------------------------------------
def test_the_course_page_ticks_done_items_and_links_missing_ones(client, instructor):
    course = CourseFactory(instructor=instructor, description="", price_decided=False)
    client.force_login(instructor)
    response = client.get(change_url(course))
    page = response.content.decode()
    assert "Draft" in page and "1 of 5 done before it can be published" in page
    assert '<span class="visually-hidden">Done: </span>Choose a category' in page
    for anchor, label in [
        ("#curriculum", "Add a published lesson"),
        ("#id_description", "Write a description"),
        ("#id_thumbnail", "Add a thumbnail"),
        ("#id_price", "Decide the price"),
    ]:
        assert f'<a href="{anchor}" class="lectern-goto">{label}</a>' in page
    assert "Keep it free" in page and tool_url("keep_free", course) in page
    assert tool_url("publish", course) not in page  # the list of what is missing instead
    assert "To publish, add at least one published lesson; write a description;" in page
    assert "Preview as a student ↗" in page and course.get_absolute_url() in page
    assert reverse("course_students", args=[course.pk]) in page
    assert '<form id="lectern-course-tools" method="post" hidden>' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_ready_course_shows_publish_and_a_published_one_unpublish(client, instructor):
    course = ready_course(instructor=instructor)
    client.force_login(instructor)
    page = client.get(change_url(course)).content.decode()
    assert "Ready to publish." in page and tool_url("publish", course) in page
    assert "Keep it free" not in page
    course.publish()
    page = client.get(change_url(course)).content.decode()
    assert tool_url("unpublish", course) in page and tool_url("publish", course) not in page


def test_the_publish_and_unpublish_buttons(client, instructor):
    course = ready_course(instructor=instructor)
    client.force_login(instructor)
    response = client.post(tool_url("publish", course), follow=True)
    assert response.redirect_chain[-1][0] == change_url(course)
    assert "is published: students can find it in the catalog" in response.content.decode()
    assert Course.objects.get(pk=course.pk).is_published
    again = client.post(tool_url("publish", course), follow=True)  # a double submit
    assert "is already published" in again.content.decode()
    client.post(tool_url("unpublish", course))
    assert not Course.objects.get(pk=course.pk).is_published


def test_the_publish_button_refuses_what_the_checklist_refuses(client, instructor):
    course = CourseFactory(instructor=instructor)  # no lesson, no thumbnail
    client.force_login(instructor)
    page = client.post(tool_url("publish", course), follow=True).content.decode()
    assert "cannot be published: add at least one published lesson; add a thumbnail." in page
    assert not Course.objects.get(pk=course.pk).is_published


def test_keep_it_free(client, instructor):
    course = CourseFactory(instructor=instructor, price_decided=False)
    client.force_login(instructor)
    response = client.post(tool_url("keep_free", course), follow=True)
    assert response.redirect_chain[-1][0] == change_url(course)
    assert "is free (price 0): the price is decided" in response.content.decode()
    course.refresh_from_db()
    assert (course.price, course.price_decided) == (Decimal("0.00"), True)


def test_keep_it_free_never_turns_a_priced_course_free(client, instructor):
    """A stale page's button (the price was set meanwhile) changes nothing."""
    course = CourseFactory(instructor=instructor, price=Decimal("30.00"))
    client.force_login(instructor)
    page = client.post(tool_url("keep_free", course), follow=True).content.decode()
    assert "was already decided (30.00)" in page
    assert Course.objects.get(pk=course.pk).price == Decimal("30.00")


@pytest.mark.parametrize("tool", ["publish", "unpublish", "keep_free", "duplicate"])
def test_the_tools_refuse_get_someone_elses_course_and_students(
    client, instructor, other_instructor, student, tool
):
    course = ready_course(instructor=other_instructor, price_decided=False)
    url = tool_url(tool, course)
    client.force_login(instructor)
    assert client.post(url).status_code == 404  # another instructor's id
    client.force_login(other_instructor)
    assert client.get(url).status_code == 405  # POST only
    client.force_login(student)
    assert client.post(url).status_code == 302  # the admin's login: not staff
    client.logout()
    assert client.post(url).status_code == 302
    course.refresh_from_db()
    assert (course.status, course.price_decided) == (Course.Status.DRAFT, False)
    assert Course.objects.count() == 1  # nothing duplicated


def test_the_tools_need_the_csrf_token(instructor):
    from django.test import Client

    course = CourseFactory(instructor=instructor, price_decided=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    assert client.post(tool_url("keep_free", course)).status_code == 403
    assert not Course.objects.get(pk=course.pk).price_decided


def test_staff_use_the_tools_on_any_course(client, staff, instructor):
    course = ready_course(instructor=instructor)
    client.force_login(staff)
    client.post(tool_url("publish", course))
    assert Course.objects.get(pk=course.pk).is_published


def test_the_course_page_costs_the_same_at_any_size(client, instructor):
    """The checklist asks one EXISTS, however many lessons the course has."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(course) -> int:
        client.get(change_url(course))  # warm the session and permission caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(change_url(course)).status_code == 200
        return len(captured)

    client.force_login(instructor)
    small = ready_course(instructor=instructor)
    big = ready_course(instructor=instructor)
    for _ in range(3):
        section = SectionFactory(course=big)
        for _ in range(10):
            LessonFactory(section=section)
    assert queries(small) == queries(big)


def test_factories_publish_honestly():
    """published_course() goes through publish(); the ``published`` trait sets the status
    directly but gives the thumbnail the checklist asks for, each course its own file."""
    one, two = published_course(), CourseFactory(published=True)
    assert missing(one) == [] and one.thumbnail and two.thumbnail
    assert one.thumbnail.name != two.thumbnail.name
    assert tiny_thumbnail().size < 100


def test_a_builder_change_sends_the_checklist_again(client, instructor):
    """Publishing a lesson on the builder ticks "Add a published lesson" at once: the
    builder's answer carries the checklist, swapped out of band; a full page holds it
    once."""
    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    lesson = LessonFactory(
        section=SectionFactory(course=course), is_published=False, with_video=True
    )
    client.force_login(instructor)
    page = client.get(change_url(course)).content.decode()
    assert page.count('id="lectern-tools"') == 1 and "hx-swap-oob" not in page
    assert '<a href="#curriculum" class="lectern-goto">Add a published lesson</a>' in page

    url = reverse("admin:catalog_course_curriculum_publish", args=[course.pk])
    response = client.post(url, {"lesson": lesson.pk, "published": "1"}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert response.status_code == 200
    assert 'id="lectern-tools" aria-labelledby="lectern-tools-h" hx-swap-oob="true"' in fragment
    assert '<span class="visually-hidden">Done: </span>Add a published lesson' in fragment
    assert "Ready to publish." in fragment and tool_url("publish", course) in fragment
