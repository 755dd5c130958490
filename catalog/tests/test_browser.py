"""An instructor publishes a course through the admin; a stranger finds and opens it."""

import pytest
from playwright.sync_api import expect

from catalog.models import Course
from catalog.tests.factories import SAMPLE_MP4, CategoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), "navy").save(buffer, format="PNG")
    return buffer.getvalue()


def test_instructor_publishes_and_a_stranger_finds_it(live_server, page, browser, instructor):
    from accounts.tests.factories import PASSWORD

    CategoryFactory(name="Astronomy", slug="astronomy")
    page.goto(live_server.url + "/admin/")  # the admin sends us to Lectern's login
    page.get_by_label("Email").fill(instructor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    page.get_by_role("link", name="Courses", exact=True).click()
    page.get_by_role("link", name="Add course").click()
    page.get_by_label("Title:", exact=True).fill("Stargazing for Everyone")
    page.get_by_label("Category:").select_option(label="Astronomy")
    page.get_by_label("Subtitle:").fill("Find your way around the night sky")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    # The curriculum builder, below the course's form: a section, then a draft lesson.
    page.get_by_label("New section").fill("Looking up")
    page.get_by_role("button", name="Add section").click()
    page.get_by_label("New lesson in “Looking up”").fill("The first night")
    page.get_by_role("button", name="Add lesson to “Looking up”").click()
    # The lesson's own page: its video, then published.
    page.get_by_role("link", name="The first night", exact=True).click()
    page.get_by_label("Video:").set_input_files(SAMPLE_MP4)
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.locator(".field-duration_display").first).to_contain_text("0:12")

    page.goto(f"{live_server.url}/admin/catalog/course/{Course.objects.get().pk}/change/")
    expect(page.get_by_text("1 of 1 lesson published", exact=True)).to_be_visible()
    # What the publish checklist asks for besides the lesson, in the same save.
    page.get_by_label("Description:", exact=True).fill("Constellations, planets and the Moon.")
    page.get_by_label("Price:").fill("0")
    page.get_by_label("Thumbnail:").set_input_files(
        {"name": "sky.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_label("Status:").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Course.objects.get(title="Stargazing for Everyone").is_published

    stranger = browser.new_context().new_page()
    stranger.goto(live_server.url + "/")
    stranger.get_by_label("Search courses").fill("stargazing")
    stranger.get_by_role("button", name="Search").click()
    expect(stranger.get_by_role("heading", name="1 course for “stargazing”")).to_be_visible()
    stranger.get_by_role("link", name="Stargazing for Everyone").click()
    expect(stranger.get_by_role("heading", level=1)).to_have_text("Stargazing for Everyone")
    expect(stranger.get_by_text("The first night")).to_be_visible()
    expect(stranger.get_by_text("0:12")).to_be_visible()
