"""A sequential course in Chromium: the third lesson is refused until the second is done.

The student opens the third lesson and reads why it is closed, follows the link to the
second, marks it complete (the sidebar's entry for the third opens without a reload),
and the third lesson plays. The locked page and the player with locked lessons pass axe
at 1280 and 375 px and reflow at 320 px. Screenshots go to /tmp/shots-pacing when
SHOTS=1.
"""

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from catalog.models import Course, Lesson, Section
from catalog.tests.factories import published_course
from learning import services
from learning.tests.hls_player import log_in
from lms.tests.a11y import axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-pacing")  # noqa: S108 - screenshots to look at, on request


def shoot(page, name: str) -> None:
    if os.environ.get("SHOTS"):
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check_axe(page, where: str) -> None:
    found = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        if violations := axe_violations(page):
            found.append(describe(violations, where=f"{where} at {width} px"))
        shoot(page, f"{where}-{width}")
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, where
    page.set_viewport_size({"width": 1280, "height": 900})
    assert found == [], "\n".join(found)


@pytest.fixture
def course(instructor, student):
    course = published_course(
        instructor=instructor, title="Paced Python", lessons=4, pacing=Course.Pacing.SEQUENTIAL
    )
    course.sections.update(title="Getting started")
    titles = ("Welcome", "Install Python", "Your first program", "Variables")
    for lesson, title in zip(course.published_lessons().order_by("order"), titles, strict=True):
        Lesson.objects.filter(pk=lesson.pk).update(title=title, duration=90)
    later = Section.objects.create(course=course, title="Going further", order=2)
    Lesson.objects.create(section=later, title="Functions", duration=120)
    Course.objects.filter(pk=course.pk).refresh_lesson_stats()
    services.enroll(user=student, course=course)
    services.set_completed(user=student, lesson=Lesson.objects.get(title="Welcome"), completed=True)
    return course


def test_a_sequential_course_refuses_the_third_lesson_until_the_second_is_done(
    live_server, page, student, course
):
    require_axe()
    log_in(page, live_server.url, student)
    third = Lesson.objects.get(title="Your first program")
    page.goto(live_server.url + reverse("learning:lesson", args=[course.slug, third.pk]))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your first program")
    expect(page.get_by_role("heading", name="This lesson is not open yet")).to_be_visible()
    expect(page.get_by_text("Complete “Install Python” first.")).to_be_visible()
    expect(page.locator("video")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark lesson as complete")).to_have_count(0)
    sidebar = page.get_by_role("complementary", name="Curriculum")
    # The lock is in the link's name: heard, and the link still opens the explanation.
    expect(
        sidebar.get_by_role("link", name="Variables (locked: After “Your first program”)")
    ).to_be_visible()
    check_axe(page, "locked-lesson")

    page.get_by_role("link", name="Go to “Install Python”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Install Python")
    check_axe(page, "player-with-locks")
    page.locator("#lesson-status").get_by_role("button", name="Mark lesson as complete").click()
    expect(page.locator("#lesson-status")).to_contain_text("Lesson completed")
    # The third lesson's entry opened in place; the fourth stays locked.
    opened = sidebar.get_by_role("link", name="Your first program", exact=True)
    expect(opened).to_be_visible()
    expect(
        sidebar.get_by_role("link", name="Variables (locked: After “Your first program”)")
    ).to_be_visible()

    opened.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your first program")
    expect(page.get_by_role("heading", name="This lesson is not open yet")).to_have_count(0)
    expect(
        page.locator("#lesson-status").get_by_role("button", name="Mark lesson as complete")
    ).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/lessons/{third.pk}/$"))


def test_the_instructor_sets_drip_pacing_and_the_student_sees_when_a_section_opens(
    live_server, page, browser, instructor, student, course
):
    require_axe()
    log_in(page, live_server.url, instructor)
    page.goto(live_server.url + reverse("admin:catalog_course_change", args=[course.pk]))
    page.get_by_role("link", name="Pacing: Sequential").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pacing of “Paced Python”")
    page.get_by_label("Drip: each section opens a number of days after enrolment").check()
    page.get_by_label("Going further").fill("7")
    check_axe(page, "admin-pacing")
    page.get_by_role("button", name="Save pacing").click()
    expect(page.get_by_text("Pacing of “Paced Python” saved")).to_be_visible()
    expect(page.get_by_label("Going further")).to_have_value("7")

    student_page = browser.new_page()
    log_in(student_page, live_server.url, student)
    functions = Lesson.objects.get(title="Functions")
    student_page.goto(
        live_server.url + reverse("learning:lesson", args=[course.slug, functions.pk])
    )
    expect(student_page.get_by_text(re.compile(r"^Opens on \w+ \d+ \w+ \d{4}\.$"))).to_be_visible()
    expect(student_page.get_by_role("link", name="Change your time zone")).to_be_visible()
    expect(
        student_page.get_by_role("link", name=re.compile(r"^Functions \(locked: Opens \d+ \w+"))
    ).to_be_visible()
    check_axe(student_page, "drip-locked-lesson")
    student_page.get_by_role("link", name="Change your time zone").click()
    zone = student_page.get_by_label("Time zone")
    zone.select_option("Pacific/Auckland")
    check_axe(student_page, "profile-time-zone")
    student_page.get_by_role("button", name="Save profile").click()
    expect(student_page.get_by_label("Time zone")).to_have_value("Pacific/Auckland")
