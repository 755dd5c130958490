"""The admin in Lectern's look (issue 19): the pages instructors and staff work on pass
axe-core's WCAG 2.2 AA rules (colour contrast included) in the light and the dark theme,
at 1280 px and 375 px; nothing but a wide table's own box scrolls sideways on a phone;
the focus ring stands out (3:1) in both themes; the lesson list's last column shows at
1280 px with the sidebar open; the theme button switches to the dark colours.

The data is the demo's (``load_demo``), so the pages are the ones a person trying Lectern
sees. The course page is checked as it is here; the curriculum builder on it has its own
axe test.
"""

import re

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import Course, Lesson
from lms.tests.a11y import axe_violations, describe, require_axe
from lms.tests.test_browser_accessibility import RING_JS, contrast, tab_through

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = 1280, 375
INSTRUCTOR, STAFF = "instructor@lectern.test", "staff@lectern.test"  # the demo's

# How far the page itself may scroll sideways on a phone: none (a rounding pixel aside).
# A wide table scrolls inside its own box, which this does not count.
SLACK = 1


@pytest.fixture
def demo(db):
    call_command("load_demo")
    course = Course.objects.filter(instructor__email=INSTRUCTOR).order_by("pk").first()
    return {
        "course": course,
        "lesson": Lesson.objects.filter(section__course=course).order_by("pk").first(),
    }


def admin_pages(demo) -> dict[str, str]:
    return {
        "admin index": "/admin/",
        "course list": "/admin/catalog/course/",
        "course page": f"/admin/catalog/course/{demo['course'].pk}/change/",
        "lesson page": f"/admin/catalog/lesson/{demo['lesson'].pk}/change/",
        "dashboard": "/admin/dashboard/",
    }


def signed_in(browser, live_server, email: str, *, scheme: str = "light", width: int = DESKTOP):
    """A browser context signed in as ``email`` (a session cookie, no login form), with the
    system's colour scheme set to ``scheme`` (prefers-color-scheme)."""
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=scheme, base_url=live_server.url
    )
    context.set_default_timeout(10_000)
    client = Client()
    client.force_login(User.objects.get(email=email))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return context


def watch_csp(page, found: list[str]) -> None:
    page.on(
        "console",
        lambda m: found.append(m.text) if "Content Security Policy" in m.text else None,
    )


PAGE_BACKGROUND = "getComputedStyle(document.body).backgroundColor"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_pages_pass_axe_and_fit_a_phone(browser, live_server, demo, scheme):
    """Each page is opened once per person and theme, checked by axe at 1280 px, then
    narrowed to 375 px (the phone layout applies) and checked again, and measured for
    sideways scrolling. All findings are reported together."""
    require_axe()
    found, csp = [], []
    for email in (INSTRUCTOR, STAFF):
        context = signed_in(browser, live_server, email, scheme=scheme)
        pages = admin_pages(demo)
        if email == STAFF:  # filters of one character each ("By rating: 1 2 3 4 5")
            pages["review list"] = "/admin/reviews/review/"
        for name, path in pages.items():
            page = context.new_page()
            watch_csp(page, csp)
            response = page.goto(path)
            assert response.status == 200, f"{name} as {email}: {response.status}"
            expect(page.get_by_role("link", name="Lectern admin")).to_be_visible()
            background = page.evaluate(PAGE_BACKGROUND)
            dark = contrast(background, "rgb(0, 0, 0)") < contrast(background, "rgb(255, 255, 255)")
            assert dark == (scheme == "dark"), f"{name}: {background} in the {scheme} theme"
            where = f"{name} as {email}, {scheme}"
            for width in (DESKTOP, PHONE):
                page.set_viewport_size({"width": width, "height": 900})
                if violations := axe_violations(page):
                    found.append(describe(violations, where=f"{where} at {width} px"))
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > PHONE + SLACK:
                found.append(f"{where}: the page is {wide} px wide at {PHONE} px")
            page.close()
        context.close()
    assert csp == [], csp
    if found:
        pytest.fail("\n".join(found), pytrace=False)


def test_the_theme_button_switches_to_the_dark_colours(browser, live_server, demo):
    """The admin's own theme button (html[data-theme]) wins over the system's setting,
    and the dark colours it picks pass axe too."""
    require_axe()
    context = signed_in(browser, live_server, INSTRUCTOR, scheme="light")
    page = context.new_page()
    page.goto(admin_pages(demo)["course page"])
    light = page.evaluate(PAGE_BACKGROUND)
    page.get_by_role("button", name="Toggle theme (current theme: auto)").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = page.evaluate(PAGE_BACKGROUND)
    assert contrast(light, dark) > 10, (light, dark)
    assert (violations := axe_violations(page)) == [], describe(violations, where="dark")
    page.reload()  # the choice is kept
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_focus_ring_stands_out_in_both_themes(browser, live_server, demo, scheme):
    """Tab through the index and the course page: every focused element has the site's
    ring (3 px), at 3:1 against what is behind it, and no box clips it. The autocomplete
    (select2) focuses a search box inside its own; the ring goes round the whole box."""
    context = signed_in(browser, live_server, INSTRUCTOR, scheme=scheme)
    page = context.new_page()
    checked = 0
    for path in (admin_pages(demo)["admin index"], admin_pages(demo)["course page"]):
        page.goto(path)
        for ring in tab_through(page):
            if "select2-search__field" in ring["what"]:
                page.locator(".select2-search__field").focus()
                box = page.locator(".select2-container--focus .select2-selection")
                ring = {**box.evaluate(RING_JS), "ratio": 0}
                ring["ratio"] = round(contrast(ring["ring"], ring["behind"]), 2)
            assert ring["style"] != "none" and ring["width"] >= 2, (path, ring)
            assert ring["ratio"] >= 3, (path, scheme, ring)
            assert ring["clipped"] is None, (path, ring)
            checked += 1
    assert checked > 40  # the header's links, the sidebar, the fields and the buttons
    context.close()


def test_every_column_of_the_lesson_list_shows_at_1280_px(browser, live_server, demo):
    """With the sidebar open the filters stand above the table, which then fits: its
    last column ("Streaming") is on screen without scrolling the table's box."""
    context = signed_in(browser, live_server, INSTRUCTOR)
    page = context.new_page()
    page.goto("/admin/catalog/lesson/")
    expect(page.locator("#main")).to_have_class(re.compile(r"\bshifted\b"))  # sidebar open
    streaming = page.get_by_role("columnheader", name="Streaming")
    expect(streaming).to_be_in_viewport()
    box = page.locator("#changelist-form .results")
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth"), "the table scrolls"
    results = box.bounding_box()
    column = streaming.bounding_box()
    assert column["x"] + column["width"] <= results["x"] + results["width"] + SLACK
    context.close()


def test_a_wide_table_scrolls_in_its_own_box_on_a_phone(browser, live_server, demo):
    """At 375 px the course list's table keeps its columns and scrolls sideways inside
    its box; the page does not."""
    context = signed_in(browser, live_server, STAFF, width=PHONE)
    page = context.new_page()
    page.goto("/admin/catalog/course/")
    box = page.locator("#changelist-form .results")
    assert box.evaluate("box => box.scrollWidth > box.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE + SLACK
    # The filters, the search and the actions stack above the table within the page.
    for part in ("#changelist-filter", "#toolbar", "#changelist .actions"):
        edge = page.locator(part).bounding_box()
        assert edge["x"] >= 0 and edge["x"] + edge["width"] <= PHONE + SLACK, part
    context.close()


def test_unlabelled_admin_controls_get_names(browser, live_server, demo):
    """The autocomplete's search box is named by its field's label, a date-and-time
    field's boxes by the field and the part (admin-a11y.js)."""
    require_axe()
    context = signed_in(browser, live_server, INSTRUCTOR)
    page = context.new_page()
    page.goto(admin_pages(demo)["course page"])
    expect(page.get_by_role("searchbox", name="Tags")).to_be_attached()

    page.goto("/admin/payments/coupon/add/")
    for name in ("Starts at, date", "Starts at, time", "Ends at, date", "Ends at, time"):
        expect(page.get_by_role("textbox", name=name, exact=True)).to_be_visible()
    assert (violations := axe_violations(page)) == [], describe(violations, where="coupon")
    context.close()
