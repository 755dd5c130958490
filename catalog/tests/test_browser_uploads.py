"""An instructor drops several videos on a section of the course page: one lesson each,
each file with its own progress and outcome (the local upload path, in Chromium).

The drop zone (admin/catalog/course/upload.html) reaches the page through the curriculum
builder, which includes it once per section; without that include this test is skipped.
"""

import pytest
from playwright.sync_api import expect

from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, SectionFactory
from video.clips import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    from accounts.tests.factories import PASSWORD

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def test_dropped_videos_become_lessons_each_with_its_progress(
    live_server, page, instructor, tmp_path
):
    course = CourseFactory(instructor=instructor, title="Version control")
    basics = SectionFactory(course=course, title="Basics")
    SectionFactory(course=course, title="Branches")
    first = make_clip(tmp_path / "01_why-git.mp4", seconds=1, width=160, height=90, audio=False)
    second = make_clip(tmp_path / "02_first_commit.mp4", seconds=2, width=160, height=90)
    fake = tmp_path / "notes.mp4"
    fake.write_text("Lecture notes, not a video.\n" * 50)

    log_in(page, live_server, instructor)
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")
    page.evaluate(
        "window.changes = 0;"
        "document.body.addEventListener('curriculum-changed', () => { window.changes += 1; })"
    )

    page.get_by_label("Add videos to “Basics”").set_input_files([first, second])
    rows = page.get_by_role("list", name="Videos for “Basics”").get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(page.get_by_label("Lesson title").first).to_have_value("01 why git")
    page.get_by_label("Lesson title").nth(1).fill("Your first commit")
    page.get_by_role("button", name="Upload 2 videos").click()

    statuses = [rows.nth(n).get_by_role("status") for n in (0, 1)]
    expect(statuses[0]).to_have_text("Added the lesson “01 why git” (0:01).")
    expect(statuses[1]).to_have_text("Added the lesson “Your first commit” (0:02).")
    expect(page.get_by_role("progressbar", name="Upload of 01_why-git.mp4")).to_have_attribute(
        "value", "100"
    )
    expect(page.get_by_role("progressbar", name="Upload of 02_first_commit.mp4")).to_have_attribute(
        "value", "100"
    )
    assert sorted(Lesson.objects.filter(section=basics).values_list("title", "duration")) == [
        ("01 why git", 1),
        ("Your first commit", 2),
    ]
    assert page.evaluate("window.changes") == 2

    page.get_by_label("Add videos to “Basics”").set_input_files([fake])
    page.get_by_role("button", name="Upload", exact=True).first.click()
    refused = page.get_by_role("list", name="Videos for “Basics”").get_by_role("listitem").nth(2)
    expect(refused.get_by_role("status")).to_contain_text(
        "Not added: The file is not a playable video."
    )
    assert Lesson.objects.filter(section=basics).count() == 2


def test_with_s3_the_browser_sends_the_videos_to_the_bucket(
    live_server, page, instructor, tmp_path, s3_bucket, s3_endpoint, settings
):
    """The bucket's origin in the CSP's connect-src (CSP_MEDIA_HOSTS): the file goes to
    the bucket (moto's server), Lectern checks it there. The bucket gets the README's
    CORS rule, but this does not prove the rule: moto's server answers any origin itself
    (with its global CORS off it answers the preflight from the rule but sends no CORS
    headers on the form POST's answer, which S3 does)."""
    client, bucket = s3_bucket
    client.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_rule(live_server.url))
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**policy, "connect-src": [*policy["connect-src"], s3_endpoint]}
    }
    course = CourseFactory(instructor=instructor)
    section = SectionFactory(course=course, title="Basics")
    clip = make_clip(tmp_path / "intro.webm.mp4", seconds=2, width=160, height=90, audio=False)
    fake = tmp_path / "notes.mp4"
    fake.write_text("Lecture notes, not a video.\n" * 50)

    log_in(page, live_server, instructor)
    page.goto(f"{live_server.url}/admin/catalog/course/{course.pk}/change/")
    expect(page.locator("[data-bulk-upload]")).to_have_attribute("data-mode", "s3")
    page.get_by_label("Add videos to “Basics”").set_input_files([clip, fake])
    page.get_by_role("button", name="Upload 2 videos").click()

    rows = page.get_by_role("list", name="Videos for “Basics”").get_by_role("listitem")
    expect(rows.nth(0).get_by_role("status")).to_have_text("Added the lesson “intro webm” (0:02).")
    expect(rows.nth(1).get_by_role("status")).to_contain_text(
        "Not added: The file is not a playable video."
    )
    lesson = Lesson.objects.get(section=section)
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [lesson.video.name]  # the refused one is gone


def cors_rule(origin: str) -> dict:
    """The rule README "Uploading lesson videos" gives, for this origin."""
    return {
        "CORSRules": [
            {
                "AllowedOrigins": [origin],
                "AllowedMethods": ["POST"],
                "AllowedHeaders": ["*"],
                "MaxAgeSeconds": 3600,
            }
        ]
    }
