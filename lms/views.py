import csv
import logging
import sys

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults
from django.views.decorators.http import require_GET

from catalog.models import Course
from catalog.views import categories_with_counts
from lms import dashboard as dashboard_data
from lms.cache_backends import cache_is_up
from lms.files import is_out_of_room
from lms.page_cache import public_page

logger = logging.getLogger(__name__)


@require_GET
@public_page
def home(request):
    published = Course.objects.published().for_listing()
    return render(
        request,
        "home.html",
        {
            "featured": published.filter(featured=True)[:4],
            "newest": published.order_by("-published_at", "-pk")[:8],
            "popular": published.filter(enrollment_count__gt=0).order_by(
                "-enrollment_count", "-published_at", "-pk"
            )[:8],
            "categories": categories_with_counts(),
        },
    )


def bare_ok(request):
    """The benchmark's yardstick: a Django view that does nothing (BENCHMARK_ENDPOINTS=1)."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def dashboard(request):
    """Analytics in the admin: staff see the platform, instructors their own courses."""
    if not request.user.can_author_courses:
        raise PermissionDenied("The dashboard is for instructors and staff.")
    period = dashboard_data.parse_period(request.GET)
    course_id = _int(request.GET.get("course"))
    if export := request.GET.get("export"):
        return dashboard_csv(request, export, period, course_id)
    trends = dashboard_data.trends(request.user, period)
    courses = dashboard_data.course_table(request.user, period, limit=None)
    categories = dashboard_data.top_categories(courses)
    funnel_course = next((c for c in courses if c.pk == course_id), None)  # scoped rows only
    funnel = dashboard_data.funnel(funnel_course)
    by_completion = sorted(
        (c for c in courses if c.enrolled), key=lambda c: (-c.completion_rate, -c.enrolled)
    )
    charts = [
        (key, series, dashboard_data.svg_line(series.points(period)))
        for key, series in trends["series"].items()
    ]
    top_reach = max((n for _, n in funnel), default=0) or 1
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "admin/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": "Dashboard" if request.user.is_platform_staff else "Your courses",
            "period": period,
            "period_choice": request.GET.get("period", "30"),
            "totals": trends["totals"],
            "average_rating": trends["average_rating"],
            "charts": charts,
            "courses": courses[: dashboard_data.COURSE_ROWS],
            "course_count": len(courses),
            "top_by_completion": by_completion[:10],
            "categories": categories,
            "funnel_course": funnel_course,
            "funnel": [(lesson, n, round(n * 100 / top_reach)) for lesson, n in funnel],
            "funnel_choices": courses[:200],
            "query": query.urlencode(),
        },
    )


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def dashboard_csv(request, export, period, course_id):
    """One table as CSV, computing only what that table needs (same scoping as the page)."""
    user = request.user

    def trends_table():
        trends = dashboard_data.trends(user, period)
        return (
            ["date", *[s.label for s in trends["series"].values()]],
            [
                [day.isoformat(), *[s.values.get(day, 0) for s in trends["series"].values()]]
                for day in period.days
            ],
        )

    def courses_table():
        return (
            [
                "course",
                "category",
                "enrolments",
                "enrolments in period",
                "active learners",
                "completion rate",
                "average progress",
                "rating",
                "ratings",
            ],
            [
                [
                    c.title,
                    c.category.name,
                    c.enrolled,
                    c.enrolled_in_period,
                    c.active,
                    f"{c.completion_rate:.3f}",
                    f"{c.average_progress:.3f}",
                    c.rating_avg,
                    c.rating_count,
                ]
                for c in dashboard_data.course_table(user, period, limit=None)
            ],
        )

    def categories_table():
        categories = dashboard_data.top_categories(
            dashboard_data.course_table(user, period, limit=None)
        )
        return (
            ["category", "enrolments", "completion rate"],
            [[c.name, c.enrolled, f"{c.completion_rate:.3f}"] for c in categories],
        )

    def funnel_table():
        course = Course.objects.editable_by(user).filter(pk=course_id).first()
        return (
            ["course", "section", "lesson", "students who reached it"],
            [
                [course.title, lesson.section.title, lesson.title, n]
                for lesson, n in dashboard_data.funnel(course)
            ]
            if course
            else [],
        )

    tables = {
        "trends": trends_table,
        "courses": courses_table,
        "categories": categories_table,
        "funnel": funnel_table,
    }
    if export not in tables:
        return HttpResponseBadRequest("Unknown table.")
    header, rows = tables[export]()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="lectern-{export}-{period.start}-{period.end}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(cell) for cell in row])
    return response


def _safe_cell(value):
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_GET
def healthz(request):
    """For load balancers and monitors: 200 when the database and the cache answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception:
        logger.exception("Health check: database unreachable")
        checks["database"] = "unreachable"
    try:
        checks["cache"] = "ok" if cache_is_up() else "unreachable"
    except Exception:  # a cache backend that raises instead of degrading
        logger.exception("Health check: cache unreachable")
        checks["cache"] = "unreachable"
    healthy = all(value == "ok" for value in checks.values())
    response = JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )
    response["Cache-Control"] = "no-store"
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
