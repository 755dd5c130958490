"""An instructor finishes a course by its checklist: each missing item's link leads to its
field, "Keep it free" decides the price, Publish publishes; then the students page. axe
finds nothing on either page."""

import io

import pytest
from playwright.sync_api import expect

from catalog.models import Course
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.tests.a11y import WCAG_22_AA, axe_source, axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


def log_in(page, live_server, user) -> None:
    from accounts.tests.factories import PASSWORD

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def assert_accessible(page, where: str, *, within: str | None = None) -> None:
    """axe's WCAG 2.2 AA rules on the page, or only on the element at ``within`` (the
    course page's stock admin parts, the inlines above all, are the admin theme's and the
    builder's to answer for)."""
    if within is None:
        violations = axe_violations(page)
    else:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source())
        violations = page.evaluate(
            """async ([selector, tags]) => {
                const results = await axe.run({include: [selector]}, {
                    runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
                });
                return results.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({
                        target: n.target.map(String), html: n.html, summary: n.failureSummary,
                    })),
                }));
            }""",
            [within, WCAG_22_AA],
        )
    assert violations == [], describe(violations, where=where)


def test_the_checklist_leads_to_publishing(live_server, page, instructor):
    require_axe()
    course = CourseFactory(
        instructor=instructor, title="Night skies", description="", price_decided=False
    )
    LessonFactory(section=SectionFactory(course=course), title="Looking up")
    log_in(page, live_server, instructor)
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")

    checklist = page.get_by_role("region", name="Draft – publishing checklist")
    expect(checklist).to_contain_text("2 of 5 done before it can be published")
    expect(checklist.get_by_role("button", name="Publish", exact=True)).to_have_count(0)
    assert_accessible(page, "course page, draft", within=".lectern-tools")

    # A missing item's link takes the keyboard to its field.
    checklist.get_by_role("link", name="Write a description").click()
    expect(page.get_by_label("Description:", exact=True)).to_be_focused()
    page.keyboard.type("Find your way around the night sky.")
    page.get_by_label("Thumbnail:").set_input_files(
        {"name": "sky.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(checklist).to_contain_text("4 of 5 done")

    checklist.get_by_role("button", name="Keep it free").click()
    expect(page.locator(".messagelist")).to_contain_text("is free (price 0)")
    expect(checklist).to_contain_text("Ready to publish.")
    checklist.get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("is published")
    published = page.get_by_role("region", name="Published – publishing checklist")
    expect(published.get_by_role("button", name="Unpublish")).to_be_visible()
    assert_accessible(page, "course page, published", within=".lectern-tools")
    course.refresh_from_db()
    assert course.is_published and course.price_decided and course.thumbnail

    published.get_by_role("link", name="Students (0) →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Students of “Night skies”")
    expect(page.get_by_text("No students yet")).to_be_visible()
    assert_accessible(page, "students page")


def test_duplicate_opens_the_copy(live_server, page, instructor):
    course = CourseFactory(instructor=instructor, title="Night skies")
    LessonFactory(section=SectionFactory(course=course), title="Looking up")
    log_in(page, live_server, instructor)
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")
    page.get_by_role("button", name="Duplicate").click()
    expect(page.locator(".messagelist")).to_contain_text("was copied to the draft")
    copy = Course.objects.get(title="Copy of Night skies")
    assert page.url.endswith(f"/admin/catalog/course/{copy.pk}/change/")
    expect(page.get_by_label("Title:", exact=True)).to_have_value("Copy of Night skies")
