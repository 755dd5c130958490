"""The analytics dashboard in the admin, a course's students, and their CSV exports."""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from analytics import queries, quiz_stats, students
from catalog.models import Course, Lesson, Quiz, of_editable_courses
from lms.lib.query_params import object_id, page_number
from payments.models import ZERO


@require_safe
def dashboard(request):
    """Analytics in the admin: staff see the platform, instructors their own courses."""
    if not request.user.can_author_courses:
        raise PermissionDenied("The dashboard is for instructors and staff.")
    period = queries.parse_period(request.GET)
    course_id = object_id(request.GET.get("course"))
    if export := request.GET.get("export"):
        return dashboard_csv(request, export, period, course_id)
    trends = queries.trends(request.user, period)
    courses = queries.course_table(request.user, period, limit=None)
    categories = queries.top_categories(courses)
    funnel_course = next((c for c in courses if c.pk == course_id), None)  # scoped rows only
    funnel = queries.funnel(funnel_course)
    by_completion = sorted(
        (c for c in courses if c.enrolled), key=lambda c: (-c.completion_rate, -c.enrolled)
    )
    charts = [
        (key, series, queries.svg_line(series.points(period)))
        for key, series in trends["series"].items()
    ]
    top_reach = max((n for _, n in funnel), default=0) or 1
    query = request.GET.copy()
    query.pop("export", None)
    return render(
        request,
        "analytics/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": "Dashboard" if request.user.is_platform_staff else "Your courses",
            "period": period,
            "period_choice": request.GET.get("period", "30"),
            "totals": trends["totals"],
            "average_rating": trends["average_rating"],
            "charts": charts,
            "courses": courses[: queries.COURSE_ROWS],
            "course_count": len(courses),
            "top_by_completion": by_completion[:10],
            "categories": categories,
            "funnel_course": funnel_course,
            "funnel": [(lesson, n, round(n * 100 / top_reach)) for lesson, n in funnel],
            "funnel_choices": courses[:200],
            "query": query.urlencode(),
            "currency": settings.CURRENCY,
        },
    )


def dashboard_csv(request, export, period, course_id):
    """One table as CSV, computing only what that table needs (same scoping as the page)."""
    user = request.user

    def trends_table():
        trends = queries.trends(user, period)
        return (
            ["date", *[s.label for s in trends["series"].values()]],
            [
                [
                    day.isoformat(),
                    *[s.values.get(day, ZERO if s.money else 0) for s in trends["series"].values()],
                ]
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
                f"gross revenue ({settings.CURRENCY})",
                f"refunds ({settings.CURRENCY})",
                f"net revenue ({settings.CURRENCY})",
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
                    c.gross,
                    c.refunds,
                    c.net,
                ]
                for c in queries.course_table(user, period, limit=None)
            ],
        )

    def categories_table():
        categories = queries.top_categories(queries.course_table(user, period, limit=None))
        return (
            ["category", "enrolments", "completion rate"],
            [[c.name, c.enrolled, f"{c.completion_rate:.3f}"] for c in categories],
        )

    def funnel_table():
        course = Course.objects.editable_by(user).filter(pk=course_id).first()
        return (
            ["course", "section", "lesson", "kind", "students who reached it"],
            [
                [course.title, lesson.section.title, lesson.title, lesson.kind, n]
                for lesson, n in queries.funnel(course)
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
    return csv_response(f"lectern-{export}-{period.start}-{period.end}.csv", header, rows)


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    """A CSV download; text cells that a spreadsheet would run as formulas are defused."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(cell) for cell in row])
    return response


def sortable_columns(columns, *, sort: str, query: dict) -> list[dict]:
    """Table headers that sort by their column: each one's link (the other direction when
    it is the current sort) and its ``aria-sort``. ``columns``: objects with ``key``,
    ``label`` and ``first`` ("" or "-", the direction a first click sorts in)."""
    headers = []
    for column in columns:
        current = sort.removeprefix("-") == column.key
        descending = sort.startswith("-")
        next_sort = ("" if descending else "-") if current else column.first
        headers.append(
            {
                "label": column.label,
                "url": "?" + urlencode({**query, "sort": next_sort + column.key}),
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return headers


@require_safe
def course_students(request, course_id: int):
    """One course's students for its instructor and staff (the dashboard's scoping:
    another instructor's course is a 404), a page of 50 at a time, searchable and
    sortable, or all of them as CSV (``?export=csv``, with the search applied)."""
    if not request.user.can_author_courses:
        raise PermissionDenied("The students of a course are for its instructor and staff.")
    course = get_object_or_404(Course.objects.editable_by(request.user), pk=course_id)
    search = request.GET.get("q", "").strip()[: students.SEARCH_MAX]
    sort = students.parse_sort(request.GET.get("sort"))
    rows = students.students(course, search=search, sort=sort)
    if request.GET.get("export") == "csv":
        return csv_response(
            f"lectern-students-{course.slug}-{timezone.localdate()}.csv",
            students.CSV_HEADER,
            students.csv_rows(course, rows),
        )
    page = Paginator(rows, students.PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    query = {"q": search} if search else {}
    columns = sortable_columns(students.COLUMNS, sort=sort, query=query)
    keep = urlencode({**query, "sort": sort})
    return render(
        request,
        "analytics/students.html",
        {
            **admin.site.each_context(request),
            "title": f"Students of “{course.title}”",
            "course": course,
            "page": page,
            "enrolments": students.with_course(page.object_list, course),
            "search": search,
            "sort": sort,
            "columns": columns,
            "keep": keep,
        },
    )


@require_safe
def quiz_statistics(request, lesson_id: int):
    """A quiz lesson's attempts for its course's instructor and staff (another
    instructor's quiz is a 404): the summary, each question's correct rate (attempts at
    the current version, or ``?version=all``), the students a page of 50 at a time,
    searchable and sortable, and every attempt as CSV (``?export=csv``)."""
    if not request.user.can_author_courses:
        raise PermissionDenied("A quiz's statistics are for its instructor and staff.")
    lessons = of_editable_courses(
        Lesson.objects.select_related("section__course", "quiz"), request.user, "section__course"
    )
    lesson = get_object_or_404(lessons, pk=lesson_id)
    try:
        quiz = lesson.quiz
    except Quiz.DoesNotExist:
        raise Http404("This lesson has no quiz.") from None
    course = lesson.section.course
    search = request.GET.get("q", "").strip()[: quiz_stats.SEARCH_MAX]
    if request.GET.get("export") == "csv":
        return csv_response(
            f"lectern-quiz-{course.slug}-{lesson.pk}-{timezone.localdate()}.csv",
            quiz_stats.CSV_HEADER,
            quiz_stats.csv_rows(lesson, search=search),
        )
    every_version = request.GET.get("version") == "all"
    questions = list(quiz.questions.prefetch_related("choices"))
    per_question, counted = quiz_stats.question_stats(
        quiz, questions, version=None if every_version else quiz.version
    )
    sort = quiz_stats.parse_sort(request.GET.get("sort"))
    rows = quiz_stats.students(lesson, search=search, sort=sort)
    page = Paginator(rows, quiz_stats.PAGE_SIZE).get_page(page_number(request.GET.get("page")))
    query = {"q": search} if search else {}
    if every_version:
        query["version"] = "all"
    columns = sortable_columns(quiz_stats.COLUMNS, sort=sort, query=query)
    keep = urlencode({**query, "sort": sort})
    return render(
        request,
        "analytics/quiz_stats.html",
        {
            **admin.site.each_context(request),
            "title": f"Quiz “{lesson.title}”: statistics",
            "course": course,
            "lesson": lesson,
            "quiz": quiz,
            "summary": quiz_stats.summary(quiz),
            "questions": per_question,
            "counted": counted,
            "every_version": every_version,
            "page": page,
            "search": search,
            "sort": sort,
            "columns": columns,
            "keep": keep,
            "version_query": urlencode({**({"q": search} if search else {}), "sort": sort}),
        },
    )


def _safe_cell(value):
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
