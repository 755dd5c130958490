"""Every page a person can reach (lms/tests/site_pages.py) passes axe-core's WCAG 2.2 AA
rules at 1280 px and 375 px, and scrolls no sideways at 320 px; so do the states HTMX
swaps in (marking a lesson complete, finishing a course, filtering the catalog).

Each test reports every finding at once (page, rule, impact, the elements' selectors and
axe's advice), so one run shows the whole picture. Any violation fails, whatever its
impact.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from lms.tests.a11y import axe_violations, describe, require_axe
from lms.tests.site_pages import ANONYMOUS, SitePage, build_site, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP, PHONE = 1280, 375


@pytest.fixture
def site():
    return build_site()


class Visitor:
    """Opens pages as the site's people, one browser context per person (its cache keeps
    the static files, as a person's browser does), and fails the test if a page breaks
    the Content Security Policy. Windows open at desktop width."""

    def __init__(self, browser, live_server, site):
        self.browser, self.base, self.site = browser, live_server.url, site
        self.contexts = {}
        self.csp_violations = []

    def context(self, actor: str, *, fresh: bool = False):
        """The actor's browser context; ``fresh``: a new one, for a flow with state."""
        if actor in self.contexts and not fresh:
            return self.contexts[actor]
        context = self.browser.new_context(
            viewport={"width": DESKTOP, "height": 800}, base_url=self.base
        )
        context.set_default_timeout(10_000)
        if actor != ANONYMOUS:
            client = Client()
            client.force_login(self.site.users[actor])
            cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.base}]
            )
        self.contexts[actor if not fresh else object()] = context
        return context

    def open(self, site_page):
        """A new tab on ``site_page`` as its actor, after the actor's ``before`` POST."""
        context = self.context(site_page.actor, fresh=bool(site_page.before))
        if site_page.before:
            path, data = site_page.before
            context.request.get(path)  # the CSRF cookie, as the form's page sets it
            token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
            answer = context.request.post(
                path, form=data, headers={"X-CSRFToken": token}, max_redirects=0
            )
            assert answer.status == 302, f"{site_page}: POST {path} was refused ({answer.status})"
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                self.csp_violations.append(f"{site_page}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        response = page.goto(site_page.path)
        assert response.status == site_page.status, f"{site_page}: answered {response.status}"
        return page

    def close(self):
        pages = [page for context in self.contexts.values() for page in context.pages]
        for page in pages:
            page.goto("about:blank")  # the player's leave-beacon, while the db exists
        if pages:
            pages[0].wait_for_timeout(300)
        for context in self.contexts.values():
            context.close()
        assert self.csp_violations == [], f"CSP violations: {self.csp_violations}"


@pytest.fixture
def visitor(browser, live_server, site):
    require_axe()
    visit = Visitor(browser, live_server, site)
    yield visit
    visit.close()


def test_axe_reports_violations_with_their_selectors(page):
    """The helper itself: axe-core is injected and reports by rule, with selectors."""
    require_axe()
    page.set_content(
        '<html lang="en"><title>t</title><main><img src="data:,"><button></button></main>'
    )
    found = {v["id"]: v["nodes"][0]["target"] for v in axe_violations(page)}
    assert found == {"image-alt": ["img"], "button-name": ["button"]}


def test_every_page_passes_axe_and_reflows_to_320px(site, visitor):
    """Each page is loaded at 1280 px and checked with axe, then narrowed to 375 px (the
    media queries apply as on a phone) and checked again, then to 320 px, where nothing
    may need a horizontal scroll (WCAG 1.4.10 Reflow). One load per page keeps this walk
    of every page short; all findings are reported together."""
    visit = visitor
    found = {f"axe at {DESKTOP} px": [], f"axe at {PHONE} px": [], "sideways scroll": []}
    for site_page in site_pages(site):
        page = visit.open(site_page)
        for width in (DESKTOP, PHONE):
            page.set_viewport_size({"width": width, "height": 800})
            violations = axe_violations(page)
            if violations:
                found[f"axe at {width} px"].append(describe(violations, where=str(site_page)))
        page.set_viewport_size({"width": 320, "height": 800})
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            past = page.evaluate(PAST_THE_EDGE)
            found["sideways scroll"].append(
                f"{site_page}: {width} px wide at 320 px; past the edge: {past}"
            )
        page.close()
    report = [f"== {check}:\n" + "\n".join(lines) for check, lines in found.items() if lines]
    if report:
        pytest.fail("\n".join(report), pytrace=False)


# The elements whose right edge passes the viewport, innermost first (the likely causes).
PAST_THE_EDGE = """() => {
    const out = [];
    for (const el of document.querySelectorAll("body *")) {
        const box = el.getBoundingClientRect();
        if (box.right > document.documentElement.clientWidth + 0.5 && box.width > 0
            && ![...el.children].some(c => c.getBoundingClientRect().right >= box.right)) {
            const id = el.id ? "#" + el.id : "";
            const cls = el.classList.length ? "." + [...el.classList].join(".") : "";
            const right = Math.round(box.right);
            out.push(`${el.tagName.toLowerCase()}${id}${cls} (right edge ${right})`);
        }
    }
    return out.slice(0, 5).join(", ");
}"""


def test_htmx_swapped_states_pass_axe(site, visitor):
    """The states HTMX swaps into a page, at both widths: a lesson marked complete, then
    not completed, the course completed (with its certificate links), a filtered catalog."""
    visit = visitor
    player = next(page for page in site_pages(site) if page.name == "player")
    page = visit.open(player)
    status = page.locator("#lesson-status")
    status.get_by_role("button", name="Mark lesson as complete").click()
    expect(status).to_contain_text("Lesson completed")
    found = check_both_widths(page, "player after marking the lesson complete")

    # The last lesson of a course: undone, then done again, which shows the completion.
    last = site.finished.published_lessons().order_by("section__order", "order").last()
    page.goto(f"/learn/{site.finished.slug}/lessons/{last.pk}/")
    status.get_by_role("button", name="Mark as not completed").click()
    expect(status.get_by_role("button", name="Mark lesson as complete")).to_be_visible()
    found += check_both_widths(page, "player after marking a lesson not completed")
    status.get_by_role("button", name="Mark lesson as complete").click()
    expect(status.locator(".completion")).to_contain_text("You completed")
    found += check_both_widths(page, "player after completing the course")

    catalog = visit.open(SitePage("catalog", ANONYMOUS, "/courses/"))
    with catalog.expect_response(re.compile(r"/courses/\?")):
        catalog.get_by_label("Price").select_option(label="Free")
    expect(catalog).to_have_url(re.compile(r"price=free"))
    found += check_both_widths(catalog, "catalog after filtering")
    if found:
        pytest.fail("axe-core (WCAG 2.2 AA) found:\n" + "\n".join(found), pytrace=False)


def check_both_widths(page, what: str) -> list[str]:
    """axe's findings on the page as it is now, at both widths (then back to desktop)."""
    found = []
    for width in (DESKTOP, PHONE):
        page.set_viewport_size({"width": width, "height": 800})
        violations = axe_violations(page)
        if violations:
            found.append(describe(violations, where=f"{what} at {width} px"))
    page.set_viewport_size({"width": DESKTOP, "height": 800})
    return found
