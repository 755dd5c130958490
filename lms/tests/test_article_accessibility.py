"""A student reads an article lesson: readable at 1280, 375 and 320 px (its code and its
table scroll inside their own boxes, never the page), reachable by keyboard, and axe
finds nothing on the player or the course page that lists it."""

import pytest
from playwright.sync_api import expect

from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from learning import services
from learning.tests.hls_player import log_in
from lms.tests.a11y import axe_violations, describe, require_axe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BODY = """\
Before the first exercise, set up your tools.

# Install Python

1. Download it from [python.org](https://www.python.org/downloads/).
2. Run the installer.

## Check it works

```
{LONG_LINE}
```

| Command | What it does | Where |
|:--|:--|--:|
| `python3 --version` | prints the version you installed just now | terminal |
| `pip list` | lists the packages installed for this Python | terminal |

> Stuck? Ask in the course's discussion.

<script>document.body.dataset.hacked = "yes"</script>
""".replace(
    "{LONG_LINE}",
    'python3 -c "import sys; print(sys.version_info >= (3, 11), sys.executable, sys.platform)"',
)


def test_a_student_reads_an_article_on_any_screen(live_server, page, student, instructor):
    require_axe()
    course = CourseFactory(instructor=instructor, title="Setting up", with_thumbnail=True)
    section = SectionFactory(course=course, title="First steps")
    LessonFactory(section=section, title="Welcome", with_video=True)
    article = LessonFactory(section=section, kind="article", title="Install Python", body=BODY)
    course.publish()
    services.enroll(user=student, course=course)

    log_in(page, live_server.url, student)
    found = []
    page.goto(live_server.url + course.get_absolute_url())
    expect(page.get_by_text("1 min read")).to_be_visible()
    if violations := axe_violations(page):
        found.append(describe(violations, where="course page"))

    page.goto(live_server.url + f"/learn/{course.slug}/lessons/{article.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Install Python")
    body = page.get_by_role("article", name="Install Python")
    expect(body.get_by_role("heading", level=2)).to_have_text("Install Python")
    expect(body.get_by_role("heading", level=3)).to_have_text("Check it works")
    expect(body.get_by_role("link", name="python.org")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )
    expect(body.get_by_role("table")).to_be_visible()
    expect(body).to_contain_text('<script>document.body.dataset.hacked = "yes"</script>')
    assert page.evaluate("document.body.dataset.hacked") is None  # shown, never run

    for width in (1280, 375, 320):
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width
        if width != 320 and (violations := axe_violations(page)):
            found.append(describe(violations, where=f"article at {width} px"))
    # At 320 px the code block scrolls inside itself, and the keyboard reaches it.
    code = body.locator("pre")
    assert code.evaluate("e => e.scrollWidth > e.clientWidth")
    code.focus()
    page.keyboard.press("ArrowRight")
    for _ in range(20):  # the browser may scroll smoothly: give it a moment
        if code.evaluate("e => e.scrollLeft") > 0:
            break
        page.wait_for_timeout(100)
    assert code.evaluate("e => e.scrollLeft") > 0
    assert found == [], "\n".join(found)
