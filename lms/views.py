import contextlib
import logging
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.urls import NoReverseMatch, reverse
from django.views import defaults
from django.views.decorators.http import require_safe

from catalog.models import Category, Course
from lms.lib.cache_backends import cache_is_up
from lms.lib.files import is_out_of_room
from lms.lib.page_cache import public_page

logger = logging.getLogger(__name__)


# How many courses each home section shows.
HOME_FEATURED, HOME_POPULAR, HOME_NEWEST = 4, 8, 8


@require_safe
@public_page
def home(request):
    """Featured, Popular and New, each course in one section at most: staff's choice
    first, then what students enrol in, then what is new; each takes what is left."""
    published = Course.objects.published().for_listing()
    featured = list(published.filter(featured=True)[:HOME_FEATURED])
    shown = [course.pk for course in featured]
    popular = list(
        published.filter(enrollment_count__gt=0)
        .exclude(pk__in=shown)
        .order_by("-enrollment_count", "-published_at", "-pk")[:HOME_POPULAR]
    )
    shown += [course.pk for course in popular]
    newest = published.exclude(pk__in=shown).order_by("-published_at", "-pk")[:HOME_NEWEST]
    return render(
        request,
        "home.html",
        {
            "featured": featured,
            "popular": popular,
            "newest": newest,
            "categories": Category.objects.with_course_counts(),
        },
    )


def bare_ok(request):
    """The benchmark's yardstick: a Django view that does nothing (BENCHMARK_ENDPOINTS=1)."""
    return HttpResponse("ok", content_type="text/plain")


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Health check: database unreachable")
        return "unreachable"
    return "ok"


def _cache_status() -> str:
    try:
        return "ok" if cache_is_up() else "unreachable"
    except Exception:  # a cache backend that raises instead of degrading
        logger.exception("Health check: cache unreachable")
        return "unreachable"


def _health_response(checks: dict[str, str]) -> JsonResponse:
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz(request):
    """Liveness, for load balancers: 200 while this process answers and reaches the
    database. The cache is left out on purpose: every host shares one Redis, and the site
    works without it (degraded), so a Redis outage must not make the balancer drain every
    host at once."""
    return _health_response({"database": _database_status()})


@require_safe
def readyz(request):
    """Readiness, for monitors and deploy scripts: the database and the cache both answer."""
    return _health_response({"database": _database_status(), "cache": _cache_status()})


# What search engines should not crawl: logging in and account pages, each learner's own
# pages (My learning, the player, progress, video), certificates (they name people; their
# owners share the links), the POST-only actions, health checks, the benchmark and the
# admin. lms/tests/test_http_basics.py holds this against the URL permission table: every
# page an anonymous visitor cannot open is here, every public catalog page is not.
ROBOTS_DISALLOW = (
    "/admin/",
    "/accounts/",
    "/learn/",
    "/progress/",
    "/quiz/",
    "/video/",
    "/certificates/",
    "/courses/*/enrol/",
    "/courses/*/unenrol/",
    "/courses/*/review/",
    "/courses/*/checkout/",
    "/orders/",
    "/payments/",  # the Stripe webhook
    "/reviews/",
    "/healthz/",
    "/readyz/",
    "/bench/",
)


@require_safe
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    with contextlib.suppress(NoReverseMatch):  # a Sitemap line once there is a sitemap
        lines.append(f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}")
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# Seconds a client is asked to wait when the database is away (restart, failover).
RETRY_AFTER_SECONDS = 10
# PostgreSQL's SQLSTATEs for "the server went away": class 08 (connection exception),
# 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now: starting up).
UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def database_unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` means the database could not be reached, rather than that a
    query failed (a timeout, a deadlock, a full disk on the server: those stay 500s)."""
    if isinstance(error, InterfaceError):  # the connection was already closed
        return True
    if not isinstance(error, OperationalError):
        return False
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(UNREACHABLE_SQLSTATES)
    # No SQLSTATE: the PostgreSQL client itself failed (refused, reset, closed); SQLite
    # errors ("database is locked", "no such table") stay errors.
    return connection.vendor == "postgresql"


def server_error(request):
    """handler500: a database that is restarting or unreachable is a 503, not a 500,
    and a disk that filled up during an upload is a 507 that says so.

    Django calls this inside its ``except`` block, so ``sys.exc_info()`` names the error.
    Like Django's own handler, the page renders without the request (no context
    processors, no session or user), so it cannot fail the same way again.
    """
    error = sys.exc_info()[1]
    if database_unreachable(error):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    elif is_out_of_room(error):  # a disk filled up while an upload was being written
        response = HttpResponse(loader.get_template("507.html").render(), status=507)
    else:
        return defaults.server_error(request)
    response["Cache-Control"] = "no-store"
    return response
