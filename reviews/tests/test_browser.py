"""The demo student reviews a course and edits it; staff hide it; the average follows."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from catalog.models import Course

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("lectern-demo-2026")
    page.get_by_role("button", name="Log in", exact=True).click()


def test_review_edit_hide(live_server, page, browser):
    call_command("load_demo")  # three demo learners rated this course 5, 4 and 5
    course = Course.objects.get(slug="python-for-absolute-beginners")

    log_in(page, live_server.url, "student@lectern.test")
    page.goto(live_server.url + course.get_absolute_url())
    page.get_by_role("button", name="Enrol for free").click()
    page.goto(live_server.url + course.get_absolute_url() + "#reviews")
    reviews = page.locator("#reviews")
    expect(reviews.locator(".rating-number")).to_have_text("4.7")

    reviews.get_by_role("radio", name="2 stars").check()
    reviews.get_by_label("Your review (optional)").fill("Too fast for me.")
    reviews.get_by_role("button", name="Post review").click()
    expect(page.get_by_role("status").first).to_contain_text("Thanks for your review!")
    expect(reviews.locator(".rating-number")).to_have_text("4.0")  # (5 + 4 + 5 + 2) / 4
    expect(reviews).to_contain_text("4 ratings")

    reviews.get_by_role("radio", name="3 stars").check()
    reviews.get_by_role("button", name="Update review").click()
    expect(page.get_by_role("status").first).to_contain_text("Your review was updated.")
    expect(reviews.locator(".rating-number")).to_have_text("4.3")  # 17 / 4 = 4.25

    moderator = browser.new_context().new_page()
    log_in(moderator, live_server.url, "staff@lectern.test")
    moderator.goto(live_server.url + "/admin/reviews/review/")
    row = moderator.get_by_role("row").filter(has_text="Too fast for me.")
    row.get_by_role("checkbox").check()
    moderator.get_by_label("Action:").select_option("hide")
    moderator.get_by_role("button", name="Go").click()
    moderator.get_by_label("Reason (shown to the author)").fill("Testing moderation")
    moderator.get_by_role("button", name="Hide reviews").click()
    expect(moderator.locator(".messagelist")).to_contain_text("Hide reviews: 1 changed.")

    page.reload()
    expect(reviews.locator(".rating-number")).to_have_text("4.7")
    expect(reviews).to_contain_text("Staff hid this review: Testing moderation")
