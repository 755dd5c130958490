"""The player with every part showing (the quality and speed choices, the captions
button, the keyboard shortcuts, the transcript with a current cue) passes axe at 1280 and
375 px and reflows at 320 px, the transcript under the video. (site_pages' player has
no HLS set: its lessons' transcodes never run in the suite.)"""

import pytest
from playwright.sync_api import expect

from learning.tests.hls_player import (  # noqa: F401 (the fixtures)
    hls_lesson_fixture,
    ladder_fixture,
    open_lesson,
    wait_for,
)
from lms.tests.a11y import axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_player_passes_axe_and_reflows(live_server, page, student, hls_lesson):
    require_axe()
    open_lesson(page, live_server, student, hls_lesson)
    expect(page.get_by_label("Quality")).to_be_visible()
    page.get_by_role("button", name="0:10 Halfway through the clip.").click()
    wait_for(page, "!v.paused && v.currentTime >= 10", what="the cue")
    page.evaluate("document.getElementById('lesson-video').pause()")
    found = []
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        if violations := axe_violations(page):
            found.append(describe(violations, where=f"player at {width} px"))
    assert found == [], "\n".join(found)
    page.set_viewport_size({"width": 320, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = page.locator("#lesson-video").bounding_box()
    transcript = page.get_by_role("region", name="Transcript").bounding_box()
    assert transcript["y"] >= box["y"] + box["height"] and transcript["width"] <= 320
