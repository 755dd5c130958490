from collections import Counter

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from catalog.access import get_visible_course
from catalog.forms import CatalogFilterForm
from catalog.models import Category, Course, Lesson
from lms.lib.page_cache import public_page


@require_safe
@vary_on_headers("HX-Request")
@public_page
def course_list(request, category_slug: str | None = None):
    """All courses (or one category's): search, filters, sort, pages; HTMX swaps the list."""
    category = get_object_or_404(Category, slug=category_slug) if category_slug else None
    form = CatalogFilterForm(request.GET, fixed_category=category)
    courses = form.filtered(Course.objects.published().for_listing())
    page = Paginator(courses, settings.CATALOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "category": category,
        "page": page,
        "query": query.urlencode(),
        "categories": None if request.htmx else Category.objects.with_course_counts(),
    }
    template = "catalog/course_list.html"
    if request.htmx and request.htmx.target == "course-results":
        template += "#course-results"
    return render(request, template, context)


@require_safe
@public_page
def course_detail(request, slug: str):
    course = get_visible_course(request.user, slug)
    # Quizzes with their number of questions; articles without their text (the page
    # shows their reading time, and a published article always has text).
    sections = list(course.curriculum(Lesson.objects.defer("body").with_question_count()))
    kinds = Counter(lesson.kind for section in sections for lesson in section.published_lessons)
    return render(
        request,
        "catalog/course_detail.html",
        {
            "course": course,
            "sections": sections,
            "kind_counts": {kind: kinds[kind] for kind in Lesson.Kind.values},
            "tags": list(course.tags.all()),
            "is_editor": course.is_editable_by(request.user),
        },
    )


@require_safe
@public_page
def instructor_detail(request, pk: int):
    instructor = get_object_or_404(
        get_user_model().objects.select_related("profile").filter(role__in=["instructor", "staff"]),
        pk=pk,
    )
    courses = Course.objects.published().for_listing().filter(instructor=instructor)
    if not courses and not instructor.is_instructor:
        raise Http404("No such instructor.")
    return render(
        request,
        "catalog/instructor_detail.html",
        {"instructor": instructor, "courses": courses},
    )
