"""What a screen reader, a keyboard and a small phone meet on Lectern's pages (issue 15).

Ratings and the logo have real accessible names; no page scrolls sideways at 320 px;
the focus ring stands out (3:1) from every background it is drawn on; a disabled
button looks disabled; "Forgot your password?" is a link of its own.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "lectern-demo-2026"  # the README's demo password


def log_in(page, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_ratings_and_the_logo_have_accessible_names(live_server, page):
    call_command("load_demo")  # three learners rated Python for Absolute Beginners 5, 4, 5
    page.goto(live_server.url + "/courses/?q=python")
    expect(page.get_by_role("link", name="Lectern", exact=True)).to_be_visible()
    card = page.get_by_role("article").filter(has_text="Python for Absolute Beginners")
    expect(card.get_by_role("img", name="Rated 4.7 out of 5 by 3 students")).to_be_visible()

    page.goto(live_server.url + "/courses/python-for-absolute-beginners/")
    hero = page.locator(".course-hero-text")
    expect(hero.get_by_role("img", name="Rated 4.7 out of 5 by 3 students")).to_be_visible()
    reviews = page.locator("#reviews")
    expect(reviews.locator(".rating-big")).to_match_aria_snapshot(
        "- paragraph: 4.7 out of 5\n- paragraph: 3 ratings"
    )
    expect(reviews.get_by_role("img", name="5 out of 5 stars")).to_have_count(2)
    expect(reviews.get_by_role("img", name="4 out of 5 stars")).to_have_count(1)


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_profile_and_dashboard_fit_a_320_px_phone(live_server, browser):
    call_command("load_demo")
    for width in (320, 375):
        page = browser.new_page(viewport={"width": width, "height": 700})
        log_in(page, live_server.url, "student@lectern.test")
        page.goto(live_server.url + "/accounts/profile/")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert overflow(page) <= width, f"the profile page scrolls sideways at {width} px"
        avatar = page.locator(".avatar-placeholder").bounding_box()
        assert avatar["width"] == avatar["height"] == 96  # still a circle, not an oval
        page.close()

    page = browser.new_page(viewport={"width": 320, "height": 700})
    log_in(page, live_server.url, "staff@lectern.test")
    page.goto(live_server.url + "/admin/dashboard/?period=90&course=1")
    expect(page.get_by_role("heading", name=re.compile("^Courses"))).to_be_visible()
    assert overflow(page) <= 320, "the dashboard scrolls sideways at 320 px"
    # The wide table scrolls in its own box, which the keyboard can reach.
    courses = page.get_by_role("region", name="Courses table")
    expect(courses).to_have_attribute("tabindex", "0")
    assert courses.evaluate("box => box.scrollWidth > box.clientWidth")
    page.close()
