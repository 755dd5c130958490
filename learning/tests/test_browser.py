"""The demo student enrols, watches, resumes after a reload, completes lessons."""

import re
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from learning.models import LessonProgress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The demo student has progress in other demo courses already (load_demo): look only here.
IN_PYTHON = {"lesson__section__course__slug": "python-for-absolute-beginners"}


def current_time(page) -> float:
    return page.evaluate("document.getElementById('lesson-video').currentTime")


def wait_until_playing_past(page, seconds: float, timeout: float = 15) -> None:
    """Poll the video's clock (page.wait_for_function would need eval, which our CSP bans)."""
    deadline = time.monotonic() + timeout
    while current_time(page) <= seconds:
        assert time.monotonic() < deadline, f"the video did not reach {seconds} s"
        page.wait_for_timeout(200)


def enrol_the_demo_student(live_server, page) -> None:
    """Log in as the demo student and enrol in a free course: the player opens."""
    call_command("load_demo")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("student@lectern.test")
    page.get_by_label("Password").fill("lectern-demo-2026")
    page.get_by_role("button", name="Log in", exact=True).click()

    page.goto(live_server.url + "/courses/python-for-absolute-beginners/")
    page.get_by_role("button", name="Enrol for free").click()
    expect(page.get_by_role("status").first).to_contain_text("You are enrolled")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome and overview")


def test_enrol_watch_resume_complete(live_server, page):
    enrol_the_demo_student(live_server, page)

    # Play for a few seconds, then pause: the pause reports the position.
    page.evaluate("document.getElementById('lesson-video').play()")
    wait_until_playing_past(page, 3)
    with page.expect_response(re.compile(r"/progress/\d+/$")):
        page.evaluate("document.getElementById('lesson-video').pause()")
    paused_at = current_time(page)
    progress = LessonProgress.objects.get(user__email="student@lectern.test", **IN_PYTHON)
    assert abs(progress.position - paused_at) < 0.5
    assert progress.watched_seconds > 2.5

    # Reload: the player resumes where it was.
    page.reload()
    wait_until_playing_past(page, 2)
    assert abs(current_time(page) - paused_at) < 1

    status = page.locator("#lesson-status")
    expect(status).to_contain_text("0 % of the course")
    status.get_by_role("button", name="Mark lesson as complete").click()
    expect(status).to_contain_text("11 % of the course")  # 1 of 9 lessons
    expect(status).to_contain_text("Lesson completed")
    expect(page.locator(".player-lessons .tick-done")).to_have_count(1)

    page.get_by_role("link", name=re.compile("^Next")).click()
    page.locator("#lesson-status").get_by_role("button", name="Mark lesson as complete").click()
    expect(page.locator("#lesson-status")).to_contain_text("22 % of the course")

    page.get_by_role("link", name="My learning").first.click()
    expect(
        page.get_by_role("progressbar", name="Progress in Python for Absolute Beginners")
    ).to_have_attribute("value", "22")


def test_a_report_the_server_missed_is_sent_again(live_server, page):
    """The first progress report meets a 503 (say, a database restart): it is kept and
    sent again once the server answers, so those seconds still count."""
    enrol_the_demo_student(live_server, page)
    refused = []

    def first_report_refused(route):
        if refused:
            route.continue_()
        else:
            refused.append(route.request.post_data)
            route.fulfill(status=503, body="<h1>Lectern is briefly unavailable</h1>")

    page.route(re.compile(r"/progress/\d+/$"), first_report_refused)
    page.evaluate("document.getElementById('lesson-video').play()")
    wait_until_playing_past(page, 6)  # the 5-second report goes out and is refused
    deadline = time.monotonic() + 10  # (on a loaded machine it may leave a moment later)
    while not refused:
        assert time.monotonic() < deadline, "no progress report was sent"
        page.wait_for_timeout(100)
    page.evaluate("document.getElementById('lesson-video').pause()")
    deadline = time.monotonic() + 10
    while True:  # the pause's report succeeds, then the refused segment follows
        progress = LessonProgress.objects.filter(
            user__email="student@lectern.test", **IN_PYTHON
        ).first()
        if progress and progress.watched_seconds > 5:
            break
        assert time.monotonic() < deadline, f"the refused segment was lost: {progress.watched}"
        page.wait_for_timeout(200)
    assert progress.watched[0][0] < 1  # the union starts where playing started
