"""An instructor adds captions to a lesson on its admin page, in Chromium: a file with
markup beyond WebVTT's is refused, naming the line; a good one is stored."""

import pytest
from playwright.sync_api import expect

from catalog.models import Lesson
from catalog.tests.factories import published_course
from video.models import Caption
from video.tests.factories import GOOD_VTT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_uploads_captions_on_the_lesson_page(live_server, page, instructor, tmp_path):
    from accounts.tests.factories import PASSWORD

    course = published_course(instructor=instructor, lessons=1, with_video=True)
    lesson = Lesson.objects.get(section__course=course)
    bad, good = tmp_path / "bad.vtt", tmp_path / "lecture.vtt"
    bad.write_text("WEBVTT\n\n00:01.000 --> 00:02.000\nHi <script>alert(1)</script>\n")
    good.write_text(GOOD_VTT)

    page.goto(f"{live_server.url}/admin/catalog/lesson/{lesson.pk}/change/")
    page.get_by_label("Email").fill(instructor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(
        page.get_by_role("heading", name="Captions (WebVTT, one file per language)")
    ).to_be_visible()

    page.get_by_label("Language:").first.select_option("en")  # the empty row
    page.locator("#id_captions-0-file").set_input_files(bad)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".errorlist")).to_contain_text("Line 4: “<script>” is not WebVTT markup")
    assert not Caption.objects.exists()

    page.locator("#id_captions-0-file").set_input_files(good)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    expect(page.get_by_text("A checked copy of the uploaded file is stored.")).to_be_visible()
    caption = Caption.objects.get(lesson=lesson)
    assert caption.language == "en" and caption.file.read().decode() == GOOD_VTT
