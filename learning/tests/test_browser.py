"""The demo student enrols, watches, resumes after a reload, completes lessons."""

import re
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from learning.models import LessonProgress

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def current_time(page) -> float:
    return page.evaluate("document.getElementById('lesson-video').currentTime")


def wait_until_playing_past(page, seconds: float, timeout: float = 15) -> None:
    """Poll the video's clock (page.wait_for_function would need eval, which our CSP bans)."""
    deadline = time.monotonic() + timeout
    while current_time(page) <= seconds:
        assert time.monotonic() < deadline, f"the video did not reach {seconds} s"
        page.wait_for_timeout(200)


def test_enrol_watch_resume_complete(live_server, page):
    call_command("load_demo")
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill("student@lectern.test")
    page.get_by_label("Password").fill("lectern-demo-2026")
    page.get_by_role("button", name="Sign In").click()

    page.goto(live_server.url + "/courses/python-for-absolute-beginners/")
    page.get_by_role("button", name="Enrol for free").click()
    expect(page.get_by_role("status").first).to_contain_text("You are enrolled")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome and overview")

    # Play for a few seconds, then pause: the pause reports the position.
    page.evaluate("document.getElementById('lesson-video').play()")
    wait_until_playing_past(page, 3)
    with page.expect_response(re.compile(r"/progress/\d+/$")):
        page.evaluate("document.getElementById('lesson-video').pause()")
    paused_at = current_time(page)
    progress = LessonProgress.objects.get(user__email="student@lectern.test")
    assert abs(progress.position - paused_at) < 0.5
    assert progress.watched_seconds > 2.5

    # Reload: the player resumes where it was.
    page.reload()
    wait_until_playing_past(page, 2)
    assert abs(current_time(page) - paused_at) < 1

    status = page.locator("#lesson-status")
    expect(status).to_contain_text("0 % of the course")
    status.get_by_role("button", name="Mark lesson as complete").click()
    expect(status).to_contain_text("14 % of the course")
    expect(status).to_contain_text("Lesson completed")
    expect(page.locator(".player-lessons .tick-done")).to_have_count(1)

    page.get_by_role("link", name=re.compile("^Next")).click()
    page.locator("#lesson-status").get_by_role("button", name="Mark lesson as complete").click()
    expect(page.locator("#lesson-status")).to_contain_text("28 % of the course")

    page.get_by_role("link", name="My learning").first.click()
    expect(
        page.get_by_role("progressbar", name="Progress in Python for Absolute Beginners")
    ).to_have_attribute("value", "28")
