"""Issue 19's acceptance, end to end in Chromium: the demo instructor builds a course on
its one admin page — two sections, four lessons from a bulk upload of generated clips —
reorders by keyboard and by drag, moves a lesson to the other section, does what the
publish checklist asks and publishes; the public page shows the order at once; another
instructor's ids are refused. (Each part has its own detailed tests: catalog's
test_builder, test_uploads, test_checklist and their browser tests.)"""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from PIL import Image
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import Course, Lesson, Section
from video.clips import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSTRUCTOR, OTHER = "instructor@lectern.test", "teacher2@lectern.test"  # the demo's


def sign_in(page, live_server, email: str) -> None:
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 360), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def curriculum(course) -> list[tuple[str, str]]:
    return list(
        Lesson.objects.filter(section__course=course)
        .order_by("section__order", "order")
        .values_list("section__title", "title")
    )


def test_the_demo_instructor_builds_and_publishes_a_course_on_one_page(
    live_server, page, browser, tmp_path
):
    call_command("load_demo")
    clips = {
        name: make_clip(tmp_path / name, seconds=1, width=160, height=90, audio=False)
        for name in ("01_welcome.mp4", "02_setup.mp4", "03_first-steps.mp4", "04_next_steps.mp4")
    }
    sign_in(page, live_server, INSTRUCTOR)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A new course: its "Save" opens its own page, where the curriculum is built.
    page.goto(f"{live_server.url}/admin/catalog/course/add/")
    page.get_by_label("Title:", exact=True).fill("Telescopes from scratch")
    page.get_by_label("Category:").select_option(index=1)
    page.get_by_role("button", name="Save", exact=True).click()
    course = Course.objects.get(title="Telescopes from scratch")
    expect(page.get_by_role("heading", name="Curriculum", exact=True)).to_be_visible()
    status = page.locator("#curriculum-status")

    for title in ("Getting started", "Going further"):
        page.get_by_label("New section").fill(title)
        page.get_by_label("New section").press("Enter")
        expect(status).to_contain_text(f"Added section “{title}”")
    first, second = Section.objects.filter(course=course).order_by("order")

    # Bulk upload: two files per section, each its own row, progress bar and outcome.
    for section, names in ((first, clips_of(clips, 0, 1)), (second, clips_of(clips, 2, 3))):
        page.get_by_label(f"Add videos to “{section.title}”").set_input_files(names)
        page.get_by_role("button", name="Upload 2 videos").click()
        rows = page.get_by_role("list", name=f"Videos for “{section.title}”")
        for row in range(2):
            expect(rows.get_by_role("listitem").nth(row).get_by_role("status")).to_contain_text(
                "Added the lesson", timeout=20_000
            )
    expect(page.get_by_text("2 sections · 4 of 4 lessons published")).to_be_visible()
    # The checklist above the form followed the builder, without a reload.
    expect(page.locator("#lectern-tools li.is-done").first).to_contain_text(
        "Done: Add a published lesson"
    )
    assert curriculum(course) == [
        ("Getting started", "01 welcome"),
        ("Getting started", "02 setup"),
        ("Going further", "03 first steps"),
        ("Going further", "04 next steps"),
    ]
    lesson = dict(Lesson.objects.filter(section__course=course).values_list("title", "pk"))

    # Keyboard: ↑ with Enter, once the reloads the uploads started are in (a press while
    # one is on its way is dropped, as a second click during a move is).
    expect(page.locator(".curriculum-builder[aria-busy]")).to_have_count(0)
    page.get_by_role("button", name="Move “02 setup” up").focus()
    page.keyboard.press("Enter")
    expect(status).to_have_text("Moved “02 setup” to position 1 of “Getting started”.")
    # Drag: "04 next steps" by its handle onto the top of "03 first steps" (both on
    # screen: Playwright's drag cannot scroll the page on the way).
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.locator(f"#lesson-{lesson['04 next steps']} .curriculum-handle").drag_to(
        page.locator(f"#lesson-{lesson['03 first steps']}"), target_position={"x": 40, "y": 3}
    )
    expect(status).to_have_text("Moved “04 next steps” to position 1 of “Going further”.")
    # Between sections, by keyboard: "01 welcome" to the end of "Going further".
    page.get_by_text("Rename, move, delete “01 welcome”").click()
    page.locator(f"#lesson-{lesson['01 welcome']}").get_by_label("Move to section").select_option(
        label="Going further"
    )
    page.get_by_role("button", name="Move “01 welcome” to the chosen section").click()
    expect(status).to_have_text("Moved “01 welcome” to position 3 of “Going further”.")
    built = [
        ("Getting started", "02 setup"),
        ("Going further", "04 next steps"),
        ("Going further", "03 first steps"),
        ("Going further", "01 welcome"),
    ]
    assert curriculum(course) == built

    # The checklist: a published lesson and a category are done; the rest is asked for.
    page.reload()
    checklist = page.locator(".lectern-checklist")
    expect(checklist.locator(".is-missing .lectern-goto")).to_have_text(
        ["Write a description", "Add a thumbnail", "Decide the price"]
    )
    expect(page.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    page.get_by_label("Description:", exact=True).fill("Choose, set up and use a telescope.")
    page.get_by_label("Thumbnail:").set_input_files(
        {"name": "scope.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    page.get_by_role("button", name="Keep it free").click()
    expect(checklist.locator(".is-missing")).to_have_count(0)
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("heading", name="Published")).to_be_visible()
    course.refresh_from_db()
    assert course.is_published and course.lesson_count == 4

    # The public page, for a stranger, at once and in the built order.
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.goto(course.get_absolute_url())
    text = visitor.locator("main").text_content()
    titles = [title for _, title in built]
    assert all(title in text for title in titles)
    assert sorted(titles, key=text.index) == titles
    for section in ("Getting started", "Going further"):
        assert section in text
    assert text.index("Getting started") < text.index("Going further")
    visitor.context.close()

    # Another instructor's ids, forged into this course's builder or theirs: 404, no change.
    theirs = Lesson.objects.filter(section__course__instructor__email=OTHER).first()
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    base = f"{live_server.url}/admin/catalog/course"
    forged = [
        (f"{base}/{course.pk}/curriculum/rename/", {"lesson": theirs.pk, "title": "Mine now"}),
        (f"{base}/{course.pk}/curriculum/place/", {"lesson": theirs.pk, "section": first.pk}),
        (f"{base}/{course.pk}/curriculum/delete/", {"lesson": theirs.pk}),
        (
            f"{base}/{theirs.section.course_id}/curriculum/add-section/",
            {"title": "Planted"},
        ),
    ]
    for url, form in forged:
        answer = page.request.post(url, form=form, headers={"X-CSRFToken": token})
        assert answer.status == 404, (url, answer.status)
    theirs.refresh_from_db()
    assert theirs.title != "Mine now" and theirs.section.course.instructor.email == OTHER
    assert not Section.objects.filter(title="Planted").exists()
    assert curriculum(course) == built


def clips_of(clips: dict, *indexes: int) -> list:
    names = list(clips)
    return [clips[names[i]] for i in indexes]
