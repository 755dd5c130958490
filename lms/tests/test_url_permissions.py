"""Every URL in the URLconf, asked for by an anonymous visitor, a student and another
instructor, answers as this table says. A URL that is not in the table fails the suite:
adding a page means deciding who may open it."""

from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from catalog.models import Lesson
from catalog.tests.factories import CourseFactory, published_course
from catalog.tests.quiz_factories import written_quiz
from learning import services as learning
from learning.models import Certificate
from payments import services as payments
from reviews import services as reviews
from video.tests.factories import add_caption

pytestmark = pytest.mark.django_db

OK, LOGIN, NO = "ok", "login", "refused"
COURSE = "back to the course page"  # a redirect there, with a message
PUBLIC = (OK, OK, OK)
MEMBERS = (LOGIN, OK, OK)  # any logged-in person
POST_ONLY = (LOGIN, NO, NO)  # a GET is refused (405) once logged in

# name: (anonymous, student, other instructor), for a GET. The objects belong to
# `instructor` and the student is not enrolled (see `objects` below); the course's first
# lesson is a free preview, `lesson` (the second) is not.
RULES = {
    "home": PUBLIC,
    "robots_txt": PUBLIC,
    "healthz": PUBLIC,
    "readyz": PUBLIC,
    "catalog:courses": PUBLIC,
    "catalog:course": PUBLIC,
    "catalog:draft": (NO, NO, NO),  # a draft course page (pseudo-name, see below)
    "catalog:category": PUBLIC,
    "catalog:instructor": PUBLIC,
    "learning:my_learning": MEMBERS,
    "learning:enroll": POST_ONLY,
    "learning:unenroll": POST_ONLY,
    "learning:continue": (LOGIN, COURSE, COURSE),  # not enrolled (a free preview is no help)
    "learning:lesson": (LOGIN, COURSE, COURSE),  # not a free preview, not enrolled
    "learning:preview": (NO, NO, NO),  # a lesson that is not a free preview
    "learning:progress": POST_ONLY,
    "learning:complete": POST_ONLY,
    "learning:quiz_submit": POST_ONLY,
    "learning:stream": (NO, NO, NO),  # no valid signature for them
    "video:caption": (NO, NO, NO),  # no valid signature for them
    "learning:verify_certificate": PUBLIC,
    "learning:certificate_pdf": (LOGIN, NO, NO),  # the owner's and staff's only
    # HLS delivery: no valid signature for them (video/tests/test_delivery.py has the rest)
    "video:master": (NO, NO, NO),
    "video:playlist": (NO, NO, NO),
    "video:key": (NO, NO, NO),
    "video:segment": (NO, NO, NO),
    "video:poster": (NO, NO, NO),
    "reviews:list": PUBLIC,
    "reviews:submit": POST_ONLY,
    "reviews:delete": POST_ONLY,
    "reviews:report": POST_ONLY,
    "reviews:helpful": POST_ONLY,
    "reviews:reply": POST_ONLY,
    "accounts:profile": MEMBERS,
    "accounts:apply_to_teach": POST_ONLY,
    "accounts:delete": MEMBERS,
    "payments:checkout": (LOGIN, COURSE, COURSE),  # a free course: enrol on its page
    "payments:orders": MEMBERS,  # one's own orders
    "payments:order": (LOGIN, NO, NO),  # someone else's order: 404
    "payments:pay": (LOGIN, NO, NO),
    "payments:test_pay": POST_ONLY,
    "payments:return": (LOGIN, NO, NO),
    "payments:stripe_webhook": (NO, NO, NO),  # Stripe's signed POSTs only: a GET is 405
    "dashboard": (LOGIN, LOGIN, OK),  # admin login for non-staff; instructors: own numbers
    "course_students": (LOGIN, LOGIN, NO),  # as the dashboard; another instructor's: 404
    "quiz_stats": (LOGIN, LOGIN, NO),  # a quiz's statistics: the same
    "bench_ok": PUBLIC,  # only when BENCHMARK_ENDPOINTS=1
}
# allauth's own pages (login, signup, reset, email management, the session list) and its
# headless endpoints for apps (and the two Lectern serves in their place, "api_auth_") are
# decided by allauth: the public ones are public, the account ones need login (or a token).
# Listed by prefix. The JSON API ("api:") has its own table over every endpoint and six
# actors: lms/tests/test_api_permissions.py.
ALLAUTH_PREFIX = ("account_", "usersessions_", "headless:", "api_auth_")
API_PREFIX = "api:"


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespace + entry.name


@pytest.fixture
def objects(instructor, student):
    course = published_course(instructor=instructor, sections=1, lessons=2, with_video=True)
    preview, lesson = Lesson.objects.filter(section__course=course).order_by("order")
    preview.is_free_preview = True
    preview.save(update_fields=["is_free_preview"])
    add_caption(lesson, "en")
    finisher = published_course(instructor=instructor, lessons=1)
    from accounts.tests.factories import UserFactory

    owner = UserFactory()
    learning.enroll(user=owner, course=finisher)
    learning.set_completed(user=owner, lesson=finisher.published_lessons().first(), completed=True)
    learning.enroll(user=owner, course=course)
    review, _ = reviews.save_review(user=owner, course=course, rating=4)
    paid = published_course(instructor=instructor, price=Decimal("30.00"))
    return {
        "order": payments.start_checkout(user=owner, course=paid),  # pending
        "course": course,
        "draft": CourseFactory(instructor=instructor),
        "lesson": lesson,
        "review": review,
        "certificate": Certificate.objects.get(user=owner),
        "instructor": instructor,
        "quiz": written_quiz(instructor=instructor),
    }


def url_for(name: str, o) -> str:
    course, lesson = o["course"], o["lesson"]
    args = {
        "catalog:course": [course.slug],
        "catalog:draft": [o["draft"].slug],
        "catalog:category": [course.category.slug],
        "catalog:instructor": [o["instructor"].pk],
        "course_students": [course.pk],
        "quiz_stats": [o["quiz"].lesson_id],
        "learning:enroll": [course.slug],
        "learning:unenroll": [course.slug],
        "learning:continue": [course.slug],
        "learning:lesson": [course.slug, lesson.pk],
        "learning:preview": [course.slug, lesson.pk],
        "learning:progress": [lesson.pk],
        "learning:complete": [lesson.pk],
        "learning:quiz_submit": [lesson.pk],
        "learning:stream": [lesson.pk],
        "video:caption": [lesson.pk, "en"],
        "learning:verify_certificate": [o["certificate"].code],
        "learning:certificate_pdf": [o["certificate"].code],
        "reviews:list": [course.slug],
        "reviews:submit": [course.slug],
        "reviews:delete": [o["review"].pk],
        "reviews:report": [o["review"].pk],
        "reviews:helpful": [o["review"].pk],
        "reviews:reply": [o["review"].pk],
        "payments:checkout": [course.slug],
        "payments:order": [o["order"].pk],
        "payments:pay": [o["order"].pk],
        "payments:test_pay": [o["order"].pk],
        "payments:return": [o["order"].pk],
        "video:master": [lesson.pk, lesson.transcode.run],
        "video:playlist": [lesson.pk, lesson.transcode.run, "360p"],
        "video:key": [lesson.pk, lesson.transcode.run],
        "video:segment": [lesson.pk, lesson.transcode.run, "360p_00000"],
        "video:poster": [lesson.pk, lesson.transcode.run],
    }.get(name, [])
    return reverse("catalog:course" if name == "catalog:draft" else name, args=args)


def outcome(response, course) -> str:
    if response.status_code == 200:
        return OK
    if response.status_code == 302 and "login" in response["Location"]:
        return LOGIN
    if response.status_code == 302 and response["Location"] == course.get_absolute_url():
        return COURSE
    return NO


def test_every_url_has_a_decision():
    undecided = [
        name
        for name in set(url_names())
        if name not in RULES and not name.startswith(("admin:", API_PREFIX, *ALLAUTH_PREFIX))
    ]
    assert undecided == [], f"add these URLs to RULES with who may open them: {undecided}"


@pytest.mark.parametrize("actor_index", [0, 1, 2], ids=["anonymous", "student", "other_instructor"])
def test_urls_answer_as_decided(client, request, objects, settings, actor_index):
    settings.BENCHMARK_ENDPOINTS = False
    actor = ["anonymous", "student", "other_instructor"][actor_index]
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)
    names = set(url_names()) | {"catalog:draft"}
    wrong = {}
    for name in sorted(n for n in names if n in RULES and n != "bench_ok"):
        got = outcome(client.get(url_for(name, objects)), objects["course"])
        if got != RULES[name][actor_index]:
            wrong[name] = (got, RULES[name][actor_index])
    assert wrong == {}, f"{actor}: (got, expected) {wrong}"


@pytest.mark.parametrize("actor", ["anonymous", "student"])
def test_no_admin_page_opens_for_non_staff(client, request, objects, actor):
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)
    opened = []
    for name in sorted(n for n in set(url_names()) if n.startswith("admin:")):
        url = admin_url(name, objects)
        skip = name in ("admin:login", "admin:logout", "admin:jsi18n")
        if url and not skip and client.get(url).status_code == 200:
            opened.append(name)
    assert opened == []


def admin_url(name: str, o) -> str | None:
    """A concrete URL for an admin URL name, with the instructor's objects as ids."""
    view = name.removeprefix("admin:")
    if view in (
        "index",
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "jsi18n",
        "autocomplete",
    ):
        return reverse(name)
    if view == "app_list":
        return reverse(name, args=["catalog"])
    if view == "view_on_site":
        return None
    for model in apps.get_models():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if view.startswith(prefix):
            action = view.removeprefix(prefix)
            if action in ("changelist", "add"):
                return reverse(name)
            if not model._meta.managed:  # django-rq's dashboard: a model with no table
                return None
            obj = model._default_manager.order_by("pk").first()
            if obj is None:
                return None
            try:
                return reverse(name, args=[obj.pk])
            except NoReverseMatch:
                return course_part_url(name, obj)
    return None


def course_part_url(name: str, course) -> str:
    """A URL under a course's admin page that names one of its parts too
    (``<course_id>/curriculum/sections/<section_id>/…``): the course's first ones."""
    section = course.sections.order_by("pk").first()
    lesson = Lesson.objects.filter(section__course=course).order_by("pk").first()
    for parts in ({"section_id": section.pk}, {"lesson_id": lesson.pk}, {}):
        try:
            return reverse(name, kwargs={"course_id": course.pk, **parts})
        except NoReverseMatch:
            continue
    raise NoReverseMatch(f"{name}: no course part URL shape fits")
