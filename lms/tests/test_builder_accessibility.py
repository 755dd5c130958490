"""The curriculum builder on a course's admin page (catalog.admin_builder) passes axe-core's
WCAG 2.2 AA rules at 1280 px and 375 px, in its states: as loaded, with an item's
"Rename, move, delete" and its delete confirmation open, and after refused changes
(a blank title, publishing a lesson without a video) swapped in. Only the builder is
checked: the rest of the page is Django's admin.
"""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from accounts.models import User
from catalog.models import Course
from lms.tests.a11y import WCAG_22_AA, axe_source, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def builder_violations(page) -> list[dict]:
    """lms.tests.a11y.axe_violations, limited to the builder's element."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run({include: [".curriculum-builder"]}, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({
                    target: n.target.map(String), html: n.html, summary: n.failureSummary,
                })),
            }));
        }""",
        WCAG_22_AA,
    )


def test_the_builder_passes_axe_in_each_state(live_server, page):
    require_axe()
    call_command("load_demo")
    instructor = User.objects.get(email="instructor@lectern.test")
    course = Course.objects.filter(instructor=instructor).order_by("pk").first()
    client = Client()
    client.force_login(instructor)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")
    expect(page.get_by_role("heading", name="Curriculum", exact=True)).to_be_visible()
    found = []

    def check(state: str) -> None:
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            if violations := builder_violations(page):
                found.append(describe(violations, where=f"{state} at {width} px"))

    check("loaded")
    first = page.locator(".curriculum-lesson").first
    first.locator("summary").first.click()
    first.get_by_text("Delete…").click()
    check("a lesson's actions open")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("New section").fill("   ")
    page.get_by_role("button", name="Add section").click()
    expect(page.locator("#curriculum-status")).to_have_text("Give the section a title.")
    check("a refused title")
    first_section = page.locator(".curriculum-section").first
    first_section.locator("input[name=title]").last.fill("Still a draft")
    first_section.locator("input[name=title]").last.press("Enter")
    expect(page.locator("#curriculum-status")).to_contain_text("Added the draft lesson")
    page.get_by_role("button", name="Publish “Still a draft”").click()
    expect(page.locator("#curriculum-status")).to_contain_text("has no video yet")
    check("a refused publication")
    assert found == [], "\n".join(found)
