"""Every admin page wears Lectern's look (templates/admin/base_site.html): the stylesheet
last in <head> (so it wins over what each page adds), the favicon, the wordmark, a link
back to the site, the theme button; the pages that extend the admin's templates (the
dashboard, the reason form of an action, an order's page) still render with it.

The look itself (contrast, focus, 375 px) is checked in a browser by
test_browser_admin_look.py.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from lms.tests.site_pages import STAFF, build_site
from reviews.models import Review

pytestmark = pytest.mark.django_db

STYLESHEET = "/static/css/admin-lectern.css"


@pytest.fixture
def site():
    return build_site()


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pages(site) -> dict[str, str]:
    section = site.course.sections.first()
    lesson = section.lessons.first()
    return {
        "index": reverse("admin:index"),
        "course list": reverse("admin:catalog_course_changelist"),
        "course page": reverse("admin:catalog_course_change", args=[site.course.pk]),
        "new course": reverse("admin:catalog_course_add"),
        "section page": reverse("admin:catalog_section_change", args=[section.pk]),
        "lesson list": reverse("admin:catalog_lesson_changelist"),
        "lesson page": reverse("admin:catalog_lesson_change", args=[lesson.pk]),
        "dashboard": reverse("dashboard"),
    }


def assert_lectern_look(html: str, where: str) -> None:
    head = html.split("</head>")[0]
    assert head.count(STYLESHEET) == 1, f"{where}: the stylesheet is missing or twice"
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', head)
    assert sheets[-1] == STYLESHEET, f"{where}: {STYLESHEET} is not the last stylesheet"
    assert '<link rel="icon" href="/static/img/favicon.svg"' in head, where
    assert '<script src="/static/js/admin-a11y.js" defer>' in head, where
    assert '<a class="lectern-brand" href="/admin/">Lectern' in html, where
    assert '<a href="/">View site</a>' in html, where
    assert 'class="theme-toggle"' in html, where
    assert 'id="logout-form" method="post"' in html and "csrfmiddlewaretoken" in html, where


def test_every_admin_page_wears_lecterns_look(site):
    for actor, user in (("instructor", site.users["instructor"]), (STAFF, site.users[STAFF])):
        client = signed_in(user)
        for name, path in pages(site).items():
            response = client.get(path)
            assert response.status_code == 200, f"{name} as {actor}: {response.status_code}"
            assert_lectern_look(response.content.decode(), f"{name} as {actor}")


def test_staff_pages_from_other_templates_wear_it_too(site):
    """An order's page (payments' template) and the "Hide reviews" reason form (lms.lib's
    admin_actions)."""
    client = signed_in(site.users[STAFF])
    order = client.get(reverse("admin:payments_order_change", args=[site.bought.pk]))
    assert order.status_code == 200
    assert_lectern_look(order.content.decode(), "order page")
    assert "Refund…" in order.content.decode()  # payments' own block is kept

    reviews = list(Review.objects.values_list("pk", flat=True)[:2])
    assert reviews, "build_site() wrote no reviews"
    hide = client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "hide", "_selected_action": reviews},
    )
    assert hide.status_code == 200
    assert_lectern_look(hide.content.decode(), "hide reviews")
    assert "<h1>Hide reviews</h1>" in hide.content.decode()


def test_the_dashboard_keeps_its_own_stylesheet_before_lecterns(site):
    """The dashboard adds dashboard.css in "extrastyle"; Lectern's comes after it, so
    the theme's chart colours win."""
    html = signed_in(site.users[STAFF]).get(reverse("dashboard")).content.decode()
    head = html.split("</head>")[0]
    assert head.index("/static/css/dashboard.css") < head.index(STYLESHEET)
