"""The curriculum builder's changes to a course's sections and lessons.

One function per thing an instructor does on the builder (catalog.admin_builder calls
them; so may a command or an API). Each keeps the course's rules:

- Order numbers stay unique per parent (the database's constraints). A drag
  (``place_lesson``/``place_section``) renumbers in one transaction under the course's
  lock (``lock_courses``): the rows that change park on free numbers above every number
  in use, then take their final numbers, two UPDATEs however many rows move.
- Saves and deletes go through the models (``CoursePart.save``/``delete``), so the
  course's lesson count and duration, learning's rollups (``lessons_changed``), the
  lesson's files and the video app's hooks follow. Where a change is a bulk UPDATE
  (renumbering, publishing a whole section) the same rules are applied here by hand.
- Every UPDATE that skips ``post_save`` bumps the public page cache.

Sections have no published flag of their own: students see a section when it holds a
published lesson. "Publish all lessons" of a section publishes its lessons.

Lesson states from apps above catalog (the video's transcoding) come through
``register_lesson_state``: catalog never imports them.
"""

from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Case, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone

from catalog.models import Course, Lesson, Placement, Quiz, Section, lock_courses
from catalog.signals import lessons_changed
from lms.lib.page_cache import bump_catalog_version
from lms.lib.validators import no_control_characters

TITLE_MAX_LENGTH = Section._meta.get_field("title").max_length


# --- Lesson states from other apps --------------------------------------------------------
class LessonBadge(NamedTuple):
    """One piece of a lesson's state shown beside it on the builder.

    ``tone``: "neutral", "ok", "busy", "warning" or "error" (the badge's colour; the
    label alone must say it all). ``detail``: a longer explanation shown after the
    label (a failure's reason).
    """

    label: str
    tone: str = "neutral"
    detail: str = ""


LessonStateFunction = Callable[[list[Lesson]], dict[int, list[LessonBadge]]]
_lesson_state_functions: list[LessonStateFunction] = []


def register_lesson_state(function: LessonStateFunction) -> LessonStateFunction:
    """Let an app above catalog add badges to the builder's lessons (call in ``ready()``).

    ``function(lessons)`` gets every lesson the builder shows at once and returns
    {lesson pk: [LessonBadge, …]}; it should cost one query whatever the number of
    lessons. Registering the same function twice has no effect.
    """
    if function not in _lesson_state_functions:
        _lesson_state_functions.append(function)
    return function


def lesson_badges(lessons: list[Lesson]) -> dict[int, list[LessonBadge]]:
    """Every registered app's badges for ``lessons``, in registration order."""
    badges: dict[int, list[LessonBadge]] = {}
    if not lessons:
        return badges
    for function in _lesson_state_functions:
        for pk, found in function(lessons).items():
            badges.setdefault(pk, []).extend(found)
    return badges


# --- Reading the curriculum --------------------------------------------------------------
class Curriculum(NamedTuple):
    """A course's sections in order, each with ``lessons`` (all of them, drafts too) in
    order and each lesson with ``badges``; three queries plus one per state function."""

    course: Course
    sections: list[Section]

    @property
    def lesson_total(self) -> int:
        return sum(len(section.lessons_in_order) for section in self.sections)

    @property
    def published_total(self) -> int:
        return sum(section.published_count for section in self.sections)

    @property
    def published_duration(self) -> int:
        """Seconds of published lessons (what the course page will say)."""
        return sum(
            lesson.duration
            for section in self.sections
            for lesson in section.lessons_in_order
            if lesson.is_published
        )


def curriculum(course: Course) -> Curriculum:
    # An article's text is not loaded (up to 100,000 characters each): whether it has
    # any is. A quiz comes with its id (for the link to its editor) and its questions'
    # number, in the same query.
    lessons = (
        Lesson.objects.order_by("order")
        .only(
            "pk",
            "section_id",
            "kind",
            "title",
            "video",
            "duration",
            "is_free_preview",
            "is_published",
            "order",
        )
        .with_question_count()
        .annotate(
            has_body=ExpressionWrapper(~Q(body=""), output_field=models.BooleanField()),
            quiz_pk=F("quiz__id"),
        )
    )
    sections = list(
        course.sections.order_by("order").prefetch_related(
            models.Prefetch("lessons", queryset=lessons, to_attr="lessons_in_order")
        )
    )
    everything = [lesson for section in sections for lesson in section.lessons_in_order]
    badges = lesson_badges(everything)
    for section in sections:
        section.course = course  # no query when a template or a service asks
        for lesson in section.lessons_in_order:
            lesson.section = section
            lesson.badges = badges.get(lesson.pk, [])
        section.published_count = sum(1 for x in section.lessons_in_order if x.is_published)
    return Curriculum(course, sections)


# --- Titles ------------------------------------------------------------------------------
def clean_title(value: str, *, what: str) -> str:
    """A section's or lesson's title as typed, trimmed; refused with a message that says
    what to do. ``what``: "section" or "lesson"."""
    title = (value or "").strip()
    if not title:
        raise ValidationError(f"Give the {what} a title.", code="blank")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(
            f"A {what} title has at most {TITLE_MAX_LENGTH} characters; this one has {len(title)}.",
            code="max_length",
        )
    no_control_characters(title)
    return title


# --- Adding, renaming, deleting ----------------------------------------------------------
def add_section(*, course: Course, title: str) -> Section:
    """A new section, last in the course (``CoursePart.save`` numbers it under the lock)."""
    section = Section(course=course, title=clean_title(title, what="section"))
    section.save()
    return section


def clean_kind(value: str) -> str:
    if value not in Lesson.Kind.values:
        raise ValidationError(
            "Choose the kind of lesson: a video, an article or a quiz.", code="kind"
        )
    return value


def add_lesson(*, section: Section, title: str, kind: str = Lesson.Kind.VIDEO) -> Lesson:
    """A new draft lesson of ``kind``, last in ``section``. The instructor then adds its
    video (and captions) or writes its article on the lesson's page, or writes a quiz's
    questions in the quiz editor, and publishes it. A quiz lesson is made with its
    ``Quiz`` (the default settings) in the same transaction: it never exists without one.
    """
    title, kind = clean_title(title, what="lesson"), clean_kind(kind)
    with transaction.atomic():
        lesson = Lesson(section=section, title=title, kind=kind, is_published=False)
        lesson.save()
        if kind == Lesson.Kind.QUIZ:
            Quiz.objects.create(lesson=lesson)
    return lesson


def rename(*, item: Section | Lesson, title: str) -> Section | Lesson:
    what = "section" if isinstance(item, Section) else "lesson"
    item.title = clean_title(title, what=what)
    fields = ["title", "updated_at"] if isinstance(item, Lesson) else ["title"]
    item.save(update_fields=fields)
    return item


def delete(*, item: Section | Lesson) -> None:
    """Delete a section (with its lessons) or a lesson through the model: the course is
    recounted, learning's rollups follow, the videos' files go after the commit."""
    item.delete()


# --- Publishing --------------------------------------------------------------------------
def set_lesson_published(*, lesson: Lesson, published: bool) -> Lesson:
    """Publish or unpublish one lesson. A lesson that is not ready cannot be published
    (``Lesson.publish_problem``: a video lesson without its video, an article without
    text, a quiz without answerable questions).

    Saved through the model, so apps above catalog may hold a publication: in a course
    whose lessons wait for their video, the lesson stays a draft until the video is ready
    (``lesson.is_published`` says what was stored).
    """
    problem = lesson.publish_problem() if published else ""
    if problem:
        raise ValidationError(problem, code=f"{lesson.kind}_not_ready")
    lesson.is_published = published
    lesson.save(update_fields=["is_published", "updated_at"])
    return lesson


def set_free_preview(*, lesson: Lesson, free_preview: bool) -> Lesson:
    """A quiz is never a free preview: its questions are for enrolled students."""
    if free_preview and lesson.kind == Lesson.Kind.QUIZ:
        raise ValidationError("A quiz can't be a free preview: its questions are for students.")
    lesson.is_free_preview = free_preview
    lesson.save(update_fields=["is_free_preview", "updated_at"])
    return lesson


class SectionPublishResult(NamedTuple):
    changed: int  # lessons whose published state was changed
    not_ready: list[Lesson]  # lessons left as drafts (``Lesson.publish_problem``)

    @property
    def without_video(self) -> list[Lesson]:
        return [lesson for lesson in self.not_ready if lesson.kind == Lesson.Kind.VIDEO]

    @property
    def without_text(self) -> list[Lesson]:
        return [lesson for lesson in self.not_ready if lesson.kind == Lesson.Kind.ARTICLE]

    @property
    def quizzes_not_ready(self) -> list[Lesson]:
        return [lesson for lesson in self.not_ready if lesson.kind == Lesson.Kind.QUIZ]


def _not_ready(lessons) -> list[Lesson]:
    """The lessons of ``lessons`` that may not be published yet: videos without a file
    and articles without text found by the database (their text is not loaded), each
    quiz checked by the quiz rules (three queries a quiz)."""
    kinds = Lesson.Kind
    blank = Q(kind=kinds.VIDEO, video="") | Q(kind=kinds.ARTICLE, body__regex=r"^\s*$")
    found = list(lessons.filter(blank | Q(kind=kinds.QUIZ)).defer("body", "description"))
    return [
        lesson
        for lesson in found
        if lesson.kind != kinds.QUIZ or lesson.publish_problem()  # the others: blank
    ]


def set_section_published(*, section: Section, published: bool) -> SectionPublishResult:
    """Publish (or unpublish) every lesson of ``section`` that can be; a lesson that is
    not ready (``Lesson.publish_problem``) stays a draft and is named in the result.

    One UPDATE, one recount and one ``lessons_changed`` for the section; in a course whose
    lessons wait for their video the lessons are published one by one through the model,
    so the hook that holds them back sees each of them.
    """
    with transaction.atomic():
        lock_courses(section.placement())
        lessons = section.lessons.exclude(is_published=published)
        not_ready = _not_ready(lessons) if published else []
        to_change = lessons.exclude(pk__in=[lesson.pk for lesson in not_ready])
        course = Course.objects.only("lessons_wait_for_video").get(pk=section.course_id)
        if published and course.lessons_wait_for_video:
            changed = 0
            for lesson in to_change.select_related("section__course"):
                lesson.is_published = True
                lesson.save(update_fields=["is_published", "updated_at"])
                changed += 1
            return SectionPublishResult(changed, not_ready)
        changed = to_change.update(is_published=published, updated_at=timezone.now())
        if changed:
            Course.objects.filter(pk=section.course_id).refresh_lesson_stats()  # bumps
            lessons_changed.send(sender=Lesson, course_ids=[section.course_id])
    return SectionPublishResult(changed, not_ready)


# --- Order -------------------------------------------------------------------------------
def _renumber(model, final: dict[int, dict], current: dict[int, tuple[int, int]]) -> int:
    """Give rows their final (parent, order): ``final`` {pk: {"order": n, parent: id}},
    ``current`` {pk: (parent id, order)} of every row of the parents involved, read
    under the course's lock. Rows already in place are not written.

    The rows that change park first on numbers above every number in use and every
    final one (one UPDATE), then take their final numbers (one UPDATE with a CASE): at no
    moment do two rows of one parent share a number.
    """
    parent = model.parent_field
    changing = [
        pk
        for pk, target in final.items()
        if current[pk] != (target[f"{parent}_id"], target["order"])
    ]
    if not changing:
        return 0
    parking = max([order for _, order in current.values()] + [len(final)]) + 1
    rows = model._default_manager.filter(pk__in=changing)
    rows.update(order=F("order") + parking)
    values = {
        "order": Case(
            *(When(pk=pk, then=Value(final[pk]["order"])) for pk in changing),
            output_field=models.PositiveIntegerField(),
        )
    }
    if any(current[pk][0] != final[pk][f"{parent}_id"] for pk in changing):
        values[f"{parent}_id"] = Case(
            *(When(pk=pk, then=Value(final[pk][f"{parent}_id"])) for pk in changing),
            output_field=models.IntegerField(),
        )
    rows.update(**values)
    return len(changing)


def _clamp(index: int, length: int) -> int:
    return max(0, min(int(index), length))


def place_lesson(*, lesson: Lesson, section: Section, index: int | None = None) -> int:
    """Move ``lesson`` to position ``index`` (0 = first; None or past the end = last) of
    ``section``, a section of the lesson's own course; one drag of the builder. Returns
    the lesson's final position (0-based).

    The lessons that count in the course do not change (same course, same published
    state): its counts and learning's rollups stay; the public pages' cache is bumped.
    """
    course_id = section.course_id
    with transaction.atomic():
        lock_courses(Placement(section.pk, course_id, True))
        now = (
            Lesson.objects.filter(pk=lesson.pk)
            .values_list("section_id", "section__course_id")
            .first()
        )
        if now is None:
            raise ValidationError(f"“{lesson}” was deleted meanwhile.", code="gone")
        source_id, source_course_id = now
        if (
            source_course_id != course_id
            or not Section.objects.filter(pk=section.pk, course_id=course_id).exists()
        ):
            raise ValidationError(
                f"“{lesson}” can only move to a section of its own course.", code="other_course"
            )
        parents = {source_id, section.pk}
        rows = list(
            Lesson.objects.select_for_update()
            .filter(section_id__in=parents)
            .order_by("order")
            .values_list("pk", "section_id", "order")
        )
        current = {pk: (parent, order) for pk, parent, order in rows}
        target = [pk for pk, parent, _ in rows if parent == section.pk and pk != lesson.pk]
        position = len(target) if index is None else _clamp(index, len(target))
        target.insert(position, lesson.pk)
        if source_id == section.pk and target == [pk for pk, *_ in rows]:
            return position  # dropped where it was: nothing to write
        final = {pk: {"section_id": section.pk, "order": n} for n, pk in enumerate(target, 1)}
        if source_id != section.pk:
            left = [pk for pk, parent, _ in rows if parent == source_id and pk != lesson.pk]
            final |= {pk: {"section_id": source_id, "order": n} for n, pk in enumerate(left, 1)}
        if _renumber(Lesson, final, current):
            bump_catalog_version()  # UPDATEs send no post_save: the public curriculum changed
        lesson.section_id, lesson.order = section.pk, final[lesson.pk]["order"]
        if source_id != section.pk:
            lesson.section = section
    return position


def place_section(*, section: Section, index: int | None = None) -> int:
    """Move ``section`` (with its lessons) to position ``index`` of its course's sections
    (0 = first; None or past the end = last). Returns its final position (0-based)."""
    with transaction.atomic():
        lock_courses(section.placement())
        rows = list(
            Section.objects.select_for_update()
            .filter(course_id=section.course_id)
            .order_by("order")
            .values_list("pk", "order")
        )
        if section.pk not in {pk for pk, _ in rows}:
            raise ValidationError(f"“{section}” was deleted meanwhile.", code="gone")
        current = {pk: (section.course_id, order) for pk, order in rows}
        others = [pk for pk, _ in rows if pk != section.pk]
        position = len(others) if index is None else _clamp(index, len(others))
        others.insert(position, section.pk)
        if others == [pk for pk, _ in rows]:
            return position
        final = {pk: {"course_id": section.course_id, "order": n} for n, pk in enumerate(others, 1)}
        if _renumber(Section, final, current):
            bump_catalog_version()
        section.order = final[section.pk]["order"]
    return position


class Moved(NamedTuple):
    """Where a ↑/↓ took an item: its section (for a lesson) and its 0-based position;
    ``moved`` is False when it was already at that end of the course."""

    moved: bool
    section: Section | None
    position: int


def step(*, item: Section | Lesson, direction: int, sections: Iterable[Section] = ()) -> Moved:
    """One ↑ (-1) or ↓ (+1): the keyboard's way to reorder.

    Within its parent this is ``move`` (a swap with the neighbour). A lesson already
    first (last) of its section goes to the end (start) of the previous (next) section
    of the course, so ↑/↓ alone can take a lesson anywhere. ``sections``: the course's
    sections in order, for that step across (read when not given).
    """
    with transaction.atomic():
        lock_courses(item.placement())
        if item.move(direction):
            position = item.siblings().filter(order__lt=item.order).count()
            return Moved(True, getattr(item, "section", None), position)
        if isinstance(item, Section):
            return Moved(False, None, 0 if direction < 0 else item.siblings().count() - 1)
        ordered = list(sections) or list(item.section.course.sections.order_by("order"))
        at = next(i for i, section in enumerate(ordered) if section.pk == item.section_id)
        if not 0 <= at + direction < len(ordered):
            edge = 0 if direction < 0 else item.siblings().count() - 1
            return Moved(False, item.section, edge)
        neighbour = ordered[at + direction]
        position = place_lesson(lesson=item, section=neighbour, index=None if direction < 0 else 0)
        return Moved(True, neighbour, position)
