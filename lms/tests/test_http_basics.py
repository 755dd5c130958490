"""HTML and HTTP basics on every page: one meta description, HEAD wherever GET works,
and a robots.txt that keeps crawlers out of the private paths in the URL table."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import path, reverse

from accounts.tests.test_wording import allauth_url_names
from catalog.models import Course
from catalog.tests.factories import CategoryFactory, published_course
from lms import views
from lms.tests import test_url_permissions
from lms.tests.test_url_permissions import OK, RULES, admin_url, url_for, url_names

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "student", "other_instructor", "staff"]
objects = test_url_permissions.objects  # the fixture: the URL table's objects, by name


class MetaDescriptions(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("name") or "").lower() == "description":
            self.found.append(attrs.get("content"))


def meta_descriptions(response) -> list[str | None]:
    parser = MetaDescriptions()
    parser.feed(response.content.decode())
    return parser.found


def site_urls(o) -> dict[str, str]:
    """Every page URL in the URLconf that a GET can open (the admin's aside): the table's
    names with their objects, and allauth's pages."""
    names = set(url_names())
    urls = {name: url_for(name, o) for name in RULES if name in names or name == "catalog:draft"}
    urls |= {name: reverse(name) for name in allauth_url_names()}
    return urls


def log_in(client, request, actor):
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)


# --- <meta name="description"> --------------------------------------------------------
@pytest.mark.parametrize("actor", ACTORS)
def test_every_page_has_exactly_one_non_empty_description(client, request, objects, actor):
    log_in(client, request, actor)
    checked, wrong = set(), {}
    for name, url in site_urls(objects).items():
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        if name in ("dashboard", "course_students", "quiz_stats"):  # Django's admin templates
            continue
        checked.add(name)
        found = meta_descriptions(response)
        if len(found) != 1 or not (found[0] or "").strip():
            wrong[name] = found
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert [d for d in meta_descriptions(missing) if d and d.strip()] != []
    assert wrong == {}
    # The walk saw the pages that matter, so it cannot pass by seeing none.
    public = {"home", "catalog:courses", "catalog:course", "catalog:category", "reviews:list"}
    own = {"account_login", "account_signup"} if actor == "anonymous" else {"accounts:profile"}
    assert public | own <= checked


def test_error_pages_rendered_without_a_request_have_a_description():
    from django.template import loader

    for template in ("500.html", "503.html", "507.html"):
        html = loader.get_template(template).render()
        parser = MetaDescriptions()
        parser.feed(html)
        assert len(parser.found) == 1 and parser.found[0].strip(), template


def test_course_category_and_instructor_pages_describe_themselves(client, instructor):
    instructor.profile.about = "I teach\nastronomy   to night owls."
    instructor.profile.save()
    category = CategoryFactory(name="Astronomy", description="Stars, planets\n\nand more.")
    course = published_course(
        instructor=instructor,
        category=category,
        subtitle='Find "Orion" & <friends> in the night sky',
    )
    described = {
        course.get_absolute_url(): 'Find "Orion" & <friends> in the night sky',
        category.get_absolute_url(): "Stars, planets and more.",
        reverse("catalog:instructor", args=[instructor.pk]): "I teach astronomy to night owls.",
    }
    for url, text in described.items():
        response = client.get(url)
        assert meta_descriptions(response) == [text], url
    # Escaped in the attribute: the quote and the brackets cannot end it or open a tag.
    page = client.get(course.get_absolute_url()).content.decode()
    assert 'content="Find &quot;Orion&quot; &amp; &lt;friends&gt; in the night sky"' in page


def test_a_course_without_a_subtitle_still_has_a_description(client):
    course = published_course(title="Knots", subtitle="")
    # No description either: a course published before the publish checklist asked for one.
    Course.objects.filter(pk=course.pk).update(description="")
    (text,) = meta_descriptions(client.get(course.get_absolute_url()))
    assert "Knots" in text


def test_a_long_description_is_cut_at_a_word(client):
    course = published_course(subtitle="", description="word " * 100)
    (text,) = meta_descriptions(client.get(course.get_absolute_url()))
    assert len(text) <= 160 and text.endswith("word…")


# --- HEAD wherever GET ---------------------------------------------------------------
@pytest.mark.parametrize("actor", ACTORS)
def test_head_answers_like_get_on_every_page(client, request, objects, settings, actor):
    settings.PUBLIC_PAGE_CACHE_SECONDS = 0  # every HEAD and GET reaches its view
    log_in(client, request, actor)
    urls = site_urls(objects)
    if actor == "staff":  # the admin's pages too, where they open
        names = sorted(n for n in set(url_names()) if n.startswith("admin:"))
        # Not compared: logout; autocomplete, which needs its query; and the admin's login,
        # which redirects a signed-in GET to the index but shows its form to a HEAD
        # (Django's admin checks for "GET"). It takes no POST here (lms/urls.py).
        skip = {"admin:logout", "admin:autocomplete", "admin:login"}
        urls |= {n: u for n in names if (u := admin_url(n, objects)) and n not in skip}
    urls.pop("account_logout", None)  # GET shows a form, but keep the session for the rest
    wrong = {}
    for name, url in urls.items():
        get = client.get(url)
        head = client.head(url)
        if (head.status_code, head.content) != (get.status_code, b""):
            wrong[name] = (get.status_code, head.status_code)
    assert wrong == {}
    assert (
        client.head(reverse("account_logout")).status_code
        == client.get(reverse("account_logout")).status_code
    )


def test_head_of_a_cached_public_page_is_served_from_the_cache_and_spoils_nothing(client):
    course = published_course(title="Cached by a HEAD")
    url = course.get_absolute_url()
    assert client.head(url).status_code == 200
    get = client.get(url)  # the copy the HEAD stored is the whole page
    assert get["X-Page-Cache"] == "hit" and "Cached by a HEAD" in get.content.decode()
    assert client.head(url)["X-Page-Cache"] == "hit"


def test_only_safe_methods_reach_a_read_only_view(client):
    assert client.post(reverse("home")).status_code == 405
    assert client.put(reverse("catalog:courses")).status_code == 405


# --- robots.txt ------------------------------------------------------------------------
def robots_rules(text: str) -> list[tuple[bool, str]]:
    rules, ours = [], False
    for line in text.splitlines():
        field, _, value = (part.strip() for part in line.partition(":"))
        if field.lower() == "user-agent":
            ours = value == "*"
        elif ours and field.lower() in ("allow", "disallow") and value:
            rules.append((field.lower() == "allow", value))
    return rules


def allowed(rules: list[tuple[bool, str]], url: str) -> bool:
    """RFC 9309: the longest matching rule wins, Allow on a tie; "*" matches any run of
    characters and a final "$" the end."""
    best = (-1, True)
    for allow, pattern in rules:
        regex = re.escape(pattern.rstrip("$")).replace(r"\*", ".*")
        if re.match(regex + ("$" if pattern.endswith("$") else ""), url):
            best = max(best, (len(pattern), allow))
    return best[1]


# Public, but not for search results: health checks, the benchmark, and certificates
# (they name people; their owners share the links).
NOT_FOR_SEARCH = {"healthz", "readyz", "bench_ok", "learning:verify_certificate"}


def test_robots_txt_is_plain_text_for_everyone(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert client.head("/robots.txt").status_code == 200
    assert client.post("/robots.txt").status_code == 405


def test_robots_txt_keeps_crawlers_out_of_every_private_path(client, objects, settings):
    settings.BENCHMARK_ENDPOINTS = False
    rules = robots_rules(client.get("/robots.txt").content.decode())
    wrong = {}
    names = set(url_names())
    for name, (anonymous, *_) in RULES.items():
        if name == "catalog:draft" or name not in names:  # a draft is a 404 at a course URL
            continue
        url = url_for(name, objects)
        should_allow = anonymous == OK and name not in NOT_FOR_SEARCH
        if allowed(rules, url) != should_allow:
            wrong[name] = (url, "allowed" if should_allow else "disallowed")
    for name in allauth_url_names():
        if allowed(rules, reverse(name)):
            wrong[name] = (reverse(name), "disallowed")
    assert not allowed(rules, reverse("admin:index"))
    assert wrong == {}, f"robots.txt should have these (url, expected): {wrong}"


def test_robots_txt_names_no_sitemap_while_there_is_none(client):
    assert "sitemap" not in client.get("/robots.txt").content.decode().lower()


urlpatterns = [  # the URLconf below: the site with a sitemap added
    path("robots.txt", views.robots_txt),
    path("sitemap.xml", views.bare_ok, name="sitemap"),
]


@pytest.mark.urls(__name__)
def test_robots_txt_points_to_a_sitemap_once_there_is_one(client):
    text = client.get("/robots.txt").content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text.splitlines()
