"""Catalog endpoints: categories, the course list (the web catalog's search, filters and
sorts) and a course with its published curriculum. Public; drafts only for their editors.
"""

from datetime import datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema
from ninja.decorators import decorate_view

from catalog.access import get_visible_course
from catalog.forms import DURATIONS, RATINGS, SORTS, CatalogFilterForm
from catalog.models import Category, Course, Lesson
from lms.lib.api import PageQuery, Problem, optional_token_auth, paginate
from lms.lib.page_cache import public_page

router = Router(tags=["Catalog"], auth=optional_token_auth)


class CategoryOut(Schema):
    slug: str
    name: str
    description: str
    course_count: int = Field(description="Published courses in the category.")


class CategoryRef(Schema):
    slug: str
    name: str


class InstructorOut(Schema):
    id: int
    name: str


class CourseOut(Schema):
    slug: str
    title: str
    subtitle: str
    category: CategoryRef
    level: str
    language: str
    price: Decimal = Field(description="In the site's currency; 0 is free.")
    is_free: bool
    thumbnail: str | None = Field(None, description="Absolute URL of the card image.")
    instructor: InstructorOut
    lesson_count: int
    total_duration: int = Field(
        description="Seconds of published lessons: videos' length and articles' reading time."
    )
    enrollment_count: int
    rating_avg: Decimal
    rating_count: int
    published_at: datetime | None
    url: str = Field(description="The course's web page.")


class LessonOut(Schema):
    id: int
    title: str
    kind: Literal["video", "article", "quiz"] = Field(
        description="What the lesson is: a video to watch, an article to read or a quiz."
    )
    duration: int = Field(
        description="Seconds: a video's length, an article's reading time (200 words a "
        "minute), 0 for a quiz."
    )
    question_count: int | None = Field(description="A quiz's questions; null for other kinds.")
    is_free_preview: bool


class SectionOut(Schema):
    title: str
    lessons: list[LessonOut]


class CourseDetailOut(CourseOut):
    description: str
    what_you_will_learn: list[str]
    requirements: list[str]
    tags: list[str]
    rating_histogram: list[int] = Field(description="Counts of 1 to 5 stars.")
    curriculum: list[SectionOut]


class CoursePage(Schema):
    count: int
    page: int
    pages: int
    results: list[CourseOut]


class CourseFilters(PageQuery):
    q: str = Field("", max_length=100, description="Words to search for.")
    category: str = Field("", max_length=80, description="A category's slug.")
    level: Literal["", *Course.Level.values] = ""  # type: ignore[valid-type]
    price: Literal["", "free", "paid"] = ""
    duration: Literal["", *DURATIONS] = ""  # type: ignore[valid-type]
    rating: Literal["", *RATINGS] = ""  # type: ignore[valid-type]
    sort: Literal["", *SORTS] = ""  # type: ignore[valid-type]


def _category(category: Category) -> dict:
    return {
        "slug": category.slug,
        "name": category.name,
        "description": category.description,
        "course_count": category.n_courses,
    }


def course_summary(request, course: Course) -> dict:
    """A course as the list shows it (``for_listing()`` has loaded what this reads)."""
    return {
        "slug": course.slug,
        "title": course.title,
        "subtitle": course.subtitle,
        "category": {"slug": course.category.slug, "name": course.category.name},
        "level": course.level,
        "language": course.language,
        "price": course.price,
        "is_free": course.is_free,
        "thumbnail": request.build_absolute_uri(course.thumbnail.url) if course.thumbnail else None,
        "instructor": {
            "id": course.instructor_id,
            "name": course.instructor.profile.public_name,
        },
        "lesson_count": course.lesson_count,
        "total_duration": course.total_duration,
        "enrollment_count": course.enrollment_count,
        "rating_avg": course.rating_avg,
        "rating_count": course.rating_count,
        "published_at": course.published_at,
        "url": request.build_absolute_uri(course.get_absolute_url()),
    }


# The list and the categories are the same for everyone: anonymous calls (no token) are
# served from the public page cache, as the web catalog is.
@router.get("/categories", response=list[CategoryOut], operation_id="list_categories")
@decorate_view(public_page)
def list_categories(request):
    """Every category with its number of published courses."""
    return [_category(category) for category in Category.objects.with_course_counts()]


@router.get(
    "/courses",
    response={200: CoursePage, 422: Problem},
    operation_id="list_courses",
)
@decorate_view(public_page)
def list_courses(request, filters: Query[CourseFilters]):
    """Published courses: the web catalog's search, filters and sorts, a page at a time."""
    data = filters.dict(exclude={"page", "page_size"})
    form = CatalogFilterForm({k: v for k, v in data.items() if v})
    courses = form.filtered(Course.objects.published().for_listing())
    return paginate(courses, filters, lambda course: course_summary(request, course))


@router.get(
    "/courses/{slug}",
    response={200: CourseDetailOut, 404: Problem},
    operation_id="get_course",
)
def get_course(request, slug: str):
    """A course with its published sections and lessons (drafts: their editors only)."""
    course = get_visible_course(request.user, slug)
    return {
        **course_summary(request, course),
        "description": course.description,
        "what_you_will_learn": course.learning_points(),
        "requirements": course.requirement_points(),
        "tags": [tag.name for tag in course.tags.all()],
        "rating_histogram": list(course.rating_histogram or [0] * 5),
        "curriculum": [
            {
                "title": section.title,
                "lessons": [
                    {
                        "id": lesson.pk,
                        "title": lesson.title,
                        "kind": lesson.kind,
                        "duration": lesson.duration,
                        "question_count": (
                            lesson.question_count if lesson.kind == Lesson.Kind.QUIZ else None
                        ),
                        "is_free_preview": lesson.is_free_preview,
                    }
                    for lesson in section.published_lessons
                ],
            }
            for section in course.curriculum(Lesson.objects.defer("body").with_question_count())
        ],
    }
