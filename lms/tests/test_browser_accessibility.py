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
    page.get_by_role("button", name="Log in", exact=True).click()
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


def rgb(css: str) -> tuple[float, ...]:
    """The three numbers of a computed colour, "rgb(29, 34, 51)"."""
    return tuple(float(n) for n in re.findall(r"[\d.]+", css)[:3])


def contrast(a: str, b: str) -> float:
    """The WCAG contrast ratio of two computed colours."""

    def luminance(color):
        def linear(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = (linear(c) for c in rgb(color))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted([luminance(a), luminance(b)], reverse=True)
    return (high + 0.05) / (low + 0.05)


# The focused element's ring, the background it is drawn on, and whether it is clipped.
RING_JS = r"""
(element) => {
  const opaque = (color) => !/rgba\(.*, 0(\.\d+)?\)$/.test(color) && color !== "transparent";
  // The ring is drawn outside the element (outline-offset), on its parent's background.
  let behind = "rgb(255, 255, 255)";
  for (let node = element.parentElement; node; node = node.parentElement) {
    const color = getComputedStyle(node).backgroundColor;
    if (opaque(color)) { behind = color; break; }
  }
  const style = getComputedStyle(element);
  const width = parseFloat(style.outlineWidth);
  const reach = width + Math.max(0, parseFloat(style.outlineOffset));
  const box = element.getBoundingClientRect();
  // A ring that an ancestor clips (overflow other than visible) is not seen.
  let clipped = null;
  for (let node = element.parentElement; node !== document.body; node = node.parentElement) {
    const s = getComputedStyle(node);
    if (s.overflowX === "visible" && s.overflowY === "visible") continue;
    const edge = node.getBoundingClientRect();
    if (box.left - reach < edge.left - 0.5 || box.right + reach > edge.right + 0.5 ||
        box.top - reach < edge.top - 0.5 || box.bottom + reach > edge.bottom + 0.5) {
      clipped = node.tagName + "." + node.className;
    }
  }
  return {
    what: element.outerHTML.slice(0, 90), style: style.outlineStyle, width,
    ring: style.outlineColor, behind, clipped,
  };
}
"""


def tab_through(page, limit: int = 60):
    """Press Tab through the page; the ring of every element that takes focus."""
    rings, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        handle = page.evaluate_handle("document.activeElement")
        key = page.evaluate("e => e.outerHTML.slice(0, 200) + e.getBoundingClientRect().y", handle)
        if key in seen or page.evaluate("e => e === document.body", handle):
            break
        seen.add(key)
        ring = page.evaluate(RING_JS, handle)
        rings.append({**ring, "ratio": round(contrast(ring["ring"], ring["behind"]), 2)})
    return rings


def test_the_focus_ring_stands_out_on_every_background(live_server, page):
    call_command("load_demo")
    log_in(page, live_server.url, "student@lectern.test")
    page.goto(live_server.url + "/courses/python-for-absolute-beginners/")
    page.get_by_role("button", name="Enrol for free").click()  # then: a success message
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome and overview")
    page.get_by_role("button", name="Mark lesson as complete").click()
    expect(page.get_by_text("Lesson completed")).to_be_visible()

    pages = [
        "/",
        "/courses/",
        "/courses/python-for-absolute-beginners/",
        "/courses/python-for-absolute-beginners/reviews/",
        "/learn/",
        page.url.removeprefix(live_server.url),  # the player, a lesson done
        "/accounts/profile/",
    ]
    checked = 0
    for path in pages:
        page.goto(live_server.url + path)
        for ring in tab_through(page):
            assert ring["style"] != "none" and ring["width"] >= 2, (path, ring)
            assert ring["ratio"] >= 3, (path, ring)
            assert ring["clipped"] is None, (path, ring)
            checked += 1
    page.get_by_role("button", name="Log out").click()
    for path in ["/accounts/login/", "/accounts/signup/"]:
        page.goto(live_server.url + path)
        for ring in tab_through(page):
            assert ring["ratio"] >= 3 and ring["clipped"] is None, (path, ring)
            checked += 1
    assert checked > 100  # every page had its links, buttons and fields focused


def test_a_disabled_button_looks_disabled(live_server, page):
    call_command("load_demo")
    page.goto(live_server.url + "/courses/django-from-zero-to-deployed/")  # a paid course
    buy = page.get_by_role("button", name="Buy this course")
    expect(buy).to_be_disabled()
    look = """e => { const s = getComputedStyle(e); return {
        bg: s.backgroundColor, color: s.color, border: s.borderStyle, cursor: s.cursor}; }"""
    disabled = buy.evaluate(look)
    enabled = page.get_by_role("link", name="Sign up").evaluate(look)  # a primary .button
    assert disabled["bg"] != enabled["bg"]
    assert disabled["border"] == "dashed" and disabled["cursor"] == "not-allowed"
    assert contrast(disabled["color"], disabled["bg"]) >= 4.5  # exempt in WCAG; still readable


def test_forgot_your_password_is_a_link_of_its_own(live_server, page):
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_label("Password")).to_have_accessible_description("")
    link = page.get_by_role("link", name="Forgot your password?")
    box = link.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24
    link.click()
    expect(page).to_have_url(re.compile("/accounts/password/reset/$"))
