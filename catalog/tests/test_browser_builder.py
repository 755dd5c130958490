"""The curriculum builder in a real browser: an instructor reorders by keyboard and by
drag, renames, adds a section and publishes a lesson on the course's page; the public
page follows at once; focus stays where it was. (axe on the builder:
lms/tests/test_builder_accessibility.py — app tests do not import the root's helpers.)"""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from catalog.models import Lesson, Section
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def course(instructor):
    """ "Basics": a, b, c; "More": d and the draft e (all with a 12-second video)."""
    course = CourseFactory(instructor=instructor, title="Night sky", with_thumbnail=True)
    basics = SectionFactory(course=course, title="Basics")
    more = SectionFactory(course=course, title="More")
    for title in ("Alpha", "Bravo", "Charlie"):
        LessonFactory(section=basics, title=title, with_video=True)
    LessonFactory(section=more, title="Delta", with_video=True)
    LessonFactory(section=more, title="Echo", with_video=True, is_published=False)
    course.publish()
    return course


def log_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def order(course) -> list[tuple[str, str]]:
    return list(
        Lesson.objects.filter(section__course=course)
        .order_by("section__order", "order")
        .values_list("section__title", "title")
    )


def public_order(visitor, course) -> list[str]:
    visitor.goto(visitor.url.split("/courses/")[0] + course.get_absolute_url())
    text = visitor.locator("main").text_content()  # closed sections too
    shown = [t for t in ("Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot") if t in text]
    return sorted(shown, key=text.index)


def test_instructor_builds_the_curriculum_on_one_page(
    live_server, page, browser, instructor, course
):
    log_in(page, live_server, instructor)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")
    status = page.locator("#curriculum-status")
    expect(page.get_by_role("heading", name="Curriculum", exact=True)).to_be_visible()

    lesson = {t: Lesson.objects.get(title=t).pk for t in ("Alpha", "Bravo", "Charlie", "Delta")}
    visitor = browser.new_context().new_page()
    visitor.goto(live_server.url + "/")
    assert public_order(visitor, course) == ["Alpha", "Bravo", "Charlie", "Delta"]

    # Keyboard: ↑ on Bravo, with Enter; focus stays on the same button after the swap.
    page.get_by_role("button", name="Move “Bravo” up").focus()
    page.keyboard.press("Enter")
    expect(status).to_have_text("Moved “Bravo” to position 1 of “Basics”.")
    expect(page.locator(f"#lesson-{lesson['Bravo']}-up")).to_be_focused()
    page.keyboard.press("Enter")  # again: already first
    expect(status).to_have_text("“Bravo” is already first in the course's lessons.")
    expect(page.locator(f"#lesson-{lesson['Bravo']}-up")).to_be_focused()

    # Keyboard: "Move to section" for Charlie.
    page.get_by_text("Rename, move, delete “Charlie”").click()
    page.locator(f"#lesson-{lesson['Charlie']}").get_by_label("Move to section").select_option(
        label="More"
    )
    page.get_by_role("button", name="Move “Charlie” to the chosen section").click()
    expect(status).to_have_text("Moved “Charlie” to position 3 of “More”.")
    expect(page.locator(f"#lesson-{lesson['Charlie']}-more")).to_be_focused()
    assert order(course)[:4] == [
        ("Basics", "Bravo"),
        ("Basics", "Alpha"),
        ("More", "Delta"),
        ("More", "Echo"),
    ]

    # Drag: Delta's handle onto the top half of Bravo's row: Delta goes first.
    handle = page.locator(f"#lesson-{lesson['Delta']} .curriculum-handle")
    page.set_viewport_size({"width": 1280, "height": 2400})  # both rows on screen: a drag
    # that has to scroll the page to reach its target is not what Playwright can do
    handle.drag_to(page.locator(f"#lesson-{lesson['Bravo']}"), target_position={"x": 40, "y": 3})
    expect(status).to_have_text("Moved “Delta” to position 1 of “Basics”.")
    # Drag a section: "More" above "Basics".
    more = Section.objects.get(title="More")
    basics = Section.objects.get(title="Basics")
    page.locator(f"#section-{more.pk} .curriculum-section-head .curriculum-handle").drag_to(
        page.locator(f"#section-{basics.pk}-heading"), target_position={"x": 20, "y": 2}
    )
    expect(status).to_have_text("Moved the section “More” to position 1.")
    assert order(course) == [
        ("More", "Echo"),
        ("More", "Charlie"),
        ("Basics", "Delta"),
        ("Basics", "Bravo"),
        ("Basics", "Alpha"),
    ]
    assert public_order(visitor, course) == ["Charlie", "Delta", "Bravo", "Alpha"]

    # Rename Alpha; Enter in the field saves it.
    page.get_by_text("Rename, move, delete “Alpha”").click()
    title = page.locator(f"#lesson-{lesson['Alpha']}-title")
    title.fill("Foxtrot")
    title.press("Enter")
    expect(status).to_have_text("Renamed “Alpha” to “Foxtrot”.")
    expect(page.locator(f"#lesson-{lesson['Alpha']}-more")).to_be_focused()

    # Publish the draft Echo; a bad title is refused in place.
    page.get_by_role("button", name="Publish “Echo”").click()
    expect(status).to_have_text("Published “Echo”: students see it now.")
    page.get_by_label("New section").fill("   ")
    page.get_by_role("button", name="Add section").click()  # spaces pass the browser's check
    expect(status).to_have_text("Give the section a title.")
    expect(page.get_by_label("New section")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#curriculum-new-section")).to_be_focused()
    page.get_by_label("New section").fill("Going further")
    page.get_by_label("New section").press("Enter")
    expect(page.get_by_role("heading", name="Section 3: Going further")).to_be_visible()
    new = Section.objects.get(title="Going further")
    expect(page.locator(f"#section-{new.pk}-new-lesson")).to_be_focused()
    expect(status).to_contain_text("Added section “Going further”")

    assert public_order(visitor, course) == ["Echo", "Charlie", "Delta", "Bravo", "Foxtrot"]
    page.set_viewport_size({"width": 375, "height": 800})  # the rows wrap: no sideways scroll
    width = page.evaluate("document.querySelector('.curriculum-builder').scrollWidth")
    assert width <= page.evaluate("document.querySelector('.curriculum-builder').clientWidth")


def test_without_javascript_every_control_is_a_form(live_server, browser, instructor, course):
    """JavaScript off: ↑ and Publish post plain forms and come back with a message."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server, instructor)
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")
    page.get_by_role("button", name="Move “Charlie” up").click()
    expect(page.locator(".messagelist")).to_contain_text("Moved “Charlie” to position 2")
    page.get_by_role("button", name="Publish “Echo”").click()
    expect(page.locator(".messagelist")).to_contain_text("Published “Echo”")
    assert order(course)[:3] == [("Basics", "Alpha"), ("Basics", "Charlie"), ("Basics", "Bravo")]
    assert Lesson.objects.get(title="Echo").is_published
    context.close()
