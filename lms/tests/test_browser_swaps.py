"""Every HTMX swap, used from the keyboard: focus stays put and the change is spoken.

An element that an HTMX swap replaces takes keyboard focus with it (to <body>) unless
the new content names what to focus (static/js/swap-a11y.js, data-swap-focus); what
changed is read out by the page's status region (data-swap-announce).
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD, UserFactory
from catalog.tests.factories import published_course
from learning.tests.factories import EnrollmentFactory
from reviews import services as reviews

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, base: str, user) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def status(page):
    return page.locator("#swap-status")


def test_mark_complete_from_the_keyboard(live_server, page, student):
    course = published_course(lessons=2, title="Knots")
    EnrollmentFactory(user=student, course=course)
    log_in(page, live_server.url, student)
    page.goto(live_server.url + f"/learn/{course.slug}/")

    page.get_by_role("button", name="Mark lesson as complete").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Mark as not completed")).to_be_focused()
    expect(status(page)).to_have_text("Lesson completed. 50 % of the course done.")
    expect(page.get_by_role("status").filter(has_text="Lesson completed.")).to_have_count(1)

    page.keyboard.press("Enter")  # and undo it, still from the keyboard
    expect(page.get_by_role("button", name="Mark lesson as complete")).to_be_focused()
    expect(status(page)).to_have_text("Lesson not completed. 0 % of the course done.")

    page.get_by_role("link", name=re.compile("^Next")).click()
    page.get_by_role("button", name="Mark lesson as complete").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Mark as not completed")).to_be_focused()
    expect(status(page)).to_have_text("Lesson completed. 50 % of the course done.")


def test_helpful_from_the_keyboard(live_server, page, student, other_student):
    course = published_course(title="Knots")
    for user in (student, other_student):
        EnrollmentFactory(user=user, course=course)
    reviews.save_review(user=other_student, course=course, rating=4, text="Clear and short.")
    log_in(page, live_server.url, student)
    page.goto(live_server.url + course.get_absolute_url() + "#reviews")

    page.get_by_role("button", name="Helpful (0)").focus()
    page.keyboard.press("Enter")
    button = page.get_by_role("button", name="Helpful (1)")
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(status(page)).to_have_text("Marked as helpful; 1 found it helpful.")

    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Helpful (0)")).to_be_focused()
    expect(status(page)).to_have_text("Helpful mark removed; 0 found it helpful.")


def test_more_reviews_from_the_keyboard(live_server, page, settings, student):
    settings.REVIEWS_PAGE_SIZE = 2
    course = published_course(title="Knots")
    for n in range(3):
        reviewer = UserFactory(first_name=f"Reviewer{n}", last_name="Smith")
        EnrollmentFactory(user=reviewer, course=course)
        reviews.save_review(user=reviewer, course=course, rating=5, text=f"Review {n}.")
    log_in(page, live_server.url, student)
    page.goto(live_server.url + course.get_absolute_url() + "#reviews")
    expect(page.locator("#review-list > li.review")).to_have_count(2)

    page.get_by_role("link", name="More reviews").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#review-list > li.review")).to_have_count(3)
    expect(page.locator("#review-list > li.review").nth(2)).to_be_focused()
    expect(status(page)).to_have_text("1 more review")
    page.keyboard.press("Tab")  # on to the new review's own controls
    expect(page.locator("#review-list > li.review").nth(2).get_by_role("button")).to_be_focused()


def test_catalog_filters_and_pages_from_the_keyboard(live_server, page, settings):
    settings.CATALOG_PAGE_SIZE = 2
    for title in ("Knots at sea", "Knots for climbers", "Sailing"):
        published_course(title=title)
    page.goto(live_server.url + "/courses/")

    search = page.get_by_label("Search", exact=True)
    search.fill("knots")  # HTMX swaps the results as you type
    expect(status(page)).to_have_text("2 courses for “knots”")
    expect(search).to_be_focused()  # typing goes on in the search box

    search.fill("")
    expect(status(page)).to_have_text("3 courses, page 1 of 2")
    page.get_by_role("link", name="Next →").focus()
    page.keyboard.press("Enter")  # the link is swapped away with the page of results
    expect(page.get_by_role("heading", name="3 courses")).to_be_focused()
    expect(status(page)).to_have_text("3 courses, page 2 of 2")
    expect(page).to_have_url(re.compile(r"page=2"))
