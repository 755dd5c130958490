"""The curriculum builder on the course's admin page (sections and lessons, in place).

Owned by the builder: its views (HTMX fragments of ``admin/catalog/course/builder.html``)
are added to CourseAdmin's URLs here. URL names (all under the course's admin URL,
``admin/catalog/course/<course_id>/curriculum/…``, each taking the course id only; the
section or lesson comes in the POST):

- ``admin:catalog_course_curriculum`` (GET): the builder fragment; the builder's root
  element reloads itself on the ``curriculum-changed`` event from ``body`` (the upload
  script sends it when a file became a lesson).
- ``…_curriculum_add_section`` (title), ``…_add_lesson`` (section, title, kind: video,
  article or quiz; a quiz lesson is made with its Quiz), ``…_rename`` (section or
  lesson, title), ``…_delete`` (section or lesson), ``…_publish`` (lesson or section,
  published=1|0), ``…_preview`` (lesson, free_preview=1|0), ``…_step`` (section or
  lesson, direction=up|down: the keyboard's reordering), ``…_place`` (lesson, section,
  index — or section, index: one drag).

Every change is a POST (CSRF-checked) through ``catalog.builder``. An HTMX request gets
the builder back (``#curriculum``), saying what happened for the page's live region and
where focus goes; a plain form POST (no JavaScript) is redirected to the course page with
a message. Ids are looked up within the course, itself within the courses the user may
author (the course admin's ``get_queryset``): anything else is a 404.
"""

from typing import NamedTuple

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST, require_safe

from catalog import builder
from catalog.models import Course, Lesson, Section
from catalog.templatetags.catalog_tags import lesson_kind

TEMPLATE = "admin/catalog/course/builder.html"
# What "Add lesson" says it made, and what to do next, by kind.
ADDED = {
    Lesson.Kind.VIDEO: "lesson",  # "Open it to add its video" says which kind
    Lesson.Kind.ARTICLE: "article",
    Lesson.Kind.QUIZ: "quiz",
}
NEXT_STEP = {
    Lesson.Kind.VIDEO: "Open it to add its video, then publish it.",
    Lesson.Kind.ARTICLE: "Open it to write its text, then publish it.",
    Lesson.Kind.QUIZ: "Open it to write its questions, then publish it.",
}
# Why "Publish all lessons" left some lessons as drafts, by kind.
HELD_BACK = {
    "without_video": "as they have no video yet",
    "without_text": "as their article has no text yet",
    "quizzes_not_ready": "as their quiz is not finished (publish each one to see why)",
}
ACTIONS = ["add_section", "add_lesson", "rename", "delete", "publish", "preview", "step", "place"]


class BadInput(Exception):
    """A request the builder refuses with a message (HTTP 400 for HTMX)."""

    def __init__(
        self,
        message: str | ValidationError,
        *,
        focus="",
        field="",
        lesson=None,
        section=None,
        value="",
    ):
        """``message``: the words, or the service's ValidationError. ``focus``: the id of
        the element to focus; ``field`` ("title", "new-lesson", "new-section") with
        ``lesson``/``section`` (pks): the input to mark invalid and show again with
        ``value``, what was typed; "action" or "move" with ``lesson``: the message goes
        beside that lesson (a long curriculum's top is far away)."""
        if isinstance(message, ValidationError):
            message = " ".join(message.messages)
        super().__init__(message)
        self.message, self.focus, self.value = message, focus, value
        self.field, self.lesson, self.section = field, lesson, section


class Outcome(NamedTuple):
    """What an action did: the words for the live region (and the no-JS message), the
    id of the element to focus after the swap, and the anchor to return to without JS."""

    message: str
    focus: str
    level: int = messages.SUCCESS


def _names(error, field: str, *, lesson=None, section=None) -> bool:
    """Whether a refusal is about this input (to mark it invalid and show it again)."""
    return (
        error is not None
        and error.field == field
        and error.lesson == lesson
        and (error.section == section or lesson is not None)
    )


def quiz_change_url_parts() -> list[str] | None:
    """The quiz editor's change URL around its id (``admin:catalog_quiz_change``, from
    catalog.admin_quizzes), or None while no quiz editor is registered."""
    try:
        return reverse("admin:catalog_quiz_change", args=[0]).split("/0/")
    except NoReverseMatch:
        return None


class CurriculumBuilderMixin:
    builder_template = TEMPLATE

    @property
    def media(self):
        return super().media + forms.Media(
            js=["vendor/htmx-2.0.11.min.js", "catalog/builder.js"],
            css={"all": ["catalog/builder.css"]},
        )

    def get_urls(self):
        def url(route: str, view, name: str):
            return path(
                f"<int:course_id>/curriculum/{route}",
                self.admin_site.admin_view(view),
                name=f"catalog_course_curriculum{name}",
            )

        return [
            url("", self.curriculum_view, ""),
            *(
                url(f"{action.replace('_', '-')}/", self._action_view(action), f"_{action}")
                for action in ACTIONS
            ),
            *super().get_urls(),
        ]

    # --- The page ----------------------------------------------------------------------
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk and self.has_change_permission(request, obj):
            context.update(self.builder_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request, obj, post_url_continue=None):
        """A new course's next step is its curriculum: "Save" opens the course's page
        (where the builder is) rather than the list of courses."""
        response = super().response_add(request, obj, post_url_continue)
        if "_save" in request.POST and response.status_code == 302 and "_popup" not in request.POST:
            messages.info(request, "Now add its sections and lessons in the curriculum below.")
            return HttpResponseRedirect(self.course_url(obj) + "#curriculum-heading")
        return response

    def builder_context(self, request, course: Course, **extra) -> dict:
        plan = builder.curriculum(course)
        urls = {"curriculum": reverse("admin:catalog_course_curriculum", args=[course.pk])}
        urls |= {
            action: reverse(f"admin:catalog_course_curriculum_{action}", args=[course.pk])
            for action in ACTIONS
        }
        # What every row repeats is prepared once here, not looked up per row by the
        # template: a 30 × 20 course renders 600 rows on every change.
        error = extra.get("error")
        lesson_url = reverse("admin:catalog_lesson_change", args=[0]).split("/0/")
        quiz_url = quiz_change_url_parts()
        for section in plan.sections:
            section.key = str(section.pk)  # a string: no number formatting per use
            section.title_error = error if _names(error, "title", section=section.pk) else None
            section.new_lesson_error = (
                error if _names(error, "new-lesson", section=section.pk) else None
            )
            for lesson in section.lessons_in_order:
                lesson.key = str(lesson.pk)
                lesson.kind_html = lesson_kind(lesson.kind)  # rendered once per kind
                lesson.change_url = f"{lesson_url[0]}/{lesson.key}/{lesson_url[1]}"
                # A quiz's title opens its questions (the quiz editor, once installed);
                # its lesson page (title, description) stays a link in "more".
                lesson.edit_url = lesson.change_url
                if lesson.kind == Lesson.Kind.QUIZ and quiz_url and lesson.quiz_pk:
                    lesson.edit_url = f"{quiz_url[0]}/{lesson.quiz_pk}/{quiz_url[1]}"
                lesson.title_error = error if _names(error, "title", lesson=lesson.pk) else None
                moving = _names(error, "move", lesson=lesson.pk)
                acting = moving or _names(error, "action", lesson=lesson.pk)
                lesson.action_error = error if acting else None
                lesson.more_open = bool(lesson.title_error) or moving  # where the field is
        # The "Kind" list of "Add lesson", the same for every section: rendered once.
        kind_options = format_html_join("", '<option value="{}">{}</option>', Lesson.Kind.choices)
        # The "Move to section" list, the same for every lesson: rendered once.
        section_options = format_html_join(
            "", '<option value="{}">{}</option>', ((s.pk, s.title) for s in plan.sections)
        )
        return {
            "curriculum": plan,
            "course": course,
            "builder_urls": urls,
            "section_options": section_options,
            "kind_options": kind_options,
            "csrf_input": format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request)
            ),
            "title_max_length": builder.TITLE_MAX_LENGTH,
            "new_section_error": error if _names(error, "new-section") else None,
            **extra,
        }

    def course_url(self, course: Course) -> str:
        return reverse("admin:catalog_course_change", args=[course.pk])

    # --- Views -------------------------------------------------------------------------
    def curriculum_view(self, request, course_id):
        return require_safe(self._curriculum)(request, course_id)

    def _curriculum(self, request, course_id):
        course = self._course(request, course_id)
        return self._fragment(request, course)

    def _action_view(self, action: str):
        def view(request, course_id):
            return require_POST(self._run)(request, course_id, action)

        view.__name__ = f"curriculum_{action}"
        return view

    def _run(self, request, course_id, action: str):
        course = self._course(request, course_id)
        try:
            outcome = getattr(self, f"_do_{action}")(request, course)
        except ValidationError as error:
            return self._refused(request, course, BadInput(error))
        except BadInput as error:
            return self._refused(request, course, error)
        if request.htmx:
            return self._fragment(request, course, announce=outcome.message, focus=outcome.focus)
        messages.add_message(request, outcome.level, outcome.message)
        return HttpResponseRedirect(f"{self.course_url(course)}#{outcome.focus}")

    def _refused(self, request, course, error: BadInput):
        if request.htmx:
            return self._fragment(request, course, error=error, status=400)
        messages.error(request, error.message)
        anchor = f"#{error.focus}" if error.focus else "#curriculum-heading"
        return HttpResponseRedirect(self.course_url(course) + anchor)

    def _fragment(self, request, course, *, announce="", focus="", error=None, status=200):
        context = self.builder_context(
            request,
            course,
            announce=error.message if error else announce,
            focus=(error.focus if error else focus),
            error=error,
        )
        tools = getattr(self, "course_tools_context", None)  # CourseAdmin's checklist
        if request.htmx and tools is not None:
            # The checklist above the course's form follows the curriculum: swapped
            # out of band with the builder (a lesson published ticks "a published lesson").
            context["course_tools"] = tools(request, course)
            context["checklist_out_of_band"] = True
        return TemplateResponse(request, f"{TEMPLATE}#curriculum", context, status=status)

    # --- Scoped lookups ------------------------------------------------------------------
    def _course(self, request, course_id) -> Course:
        """The course among those the user may author (else 404), with change rights."""
        course = get_object_or_404(self.get_queryset(request), pk=course_id)
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        return course

    @staticmethod
    def _id(request, name: str, what: str) -> int:
        raw = request.POST.get(name, "")
        try:
            return int(raw)
        except ValueError:
            raise BadInput(f"Choose a {what}.") from None

    def _section(self, request, course, name="section") -> Section:
        pk = self._id(request, name, "section")
        section = Section.objects.filter(course=course, pk=pk).first()
        if section is None:
            raise Http404("No such section in this course.")
        section.course = course
        return section

    def _lesson(self, request, course) -> Lesson:
        pk = self._id(request, "lesson", "lesson")
        lesson = Lesson.objects.select_related("section").filter(section__course=course, pk=pk)
        lesson = lesson.first()
        if lesson is None:
            raise Http404("No such lesson in this course.")
        lesson.section.course = course
        return lesson

    def _item(self, request, course) -> Section | Lesson:
        """The lesson or the section the POST names (``lesson`` wins when both are sent)."""
        if "lesson" in request.POST:
            return self._lesson(request, course)
        if "section" in request.POST:
            return self._section(request, course)
        raise BadInput("Say which section or lesson to change.")

    @staticmethod
    def _flag(request, name: str) -> bool:
        value = request.POST.get(name)
        if value not in ("0", "1"):
            raise BadInput(f"Unknown value for {name.replace('_', ' ')}: use 1 or 0.")
        return value == "1"

    # --- Actions ---------------------------------------------------------------------------
    def _do_add_section(self, request, course) -> Outcome:
        try:
            section = builder.add_section(course=course, title=request.POST.get("title", ""))
        except ValidationError as error:
            raise BadInput(
                error,
                focus="curriculum-new-section",
                field="new-section",
                value=request.POST.get("title", ""),
            ) from None
        n = course.sections.count()
        return Outcome(
            f"Added section “{section}” (section {n} of {n}). Add its first lesson below.",
            f"section-{section.pk}-new-lesson",
        )

    def _do_add_lesson(self, request, course) -> Outcome:
        section = self._section(request, course)
        try:
            lesson = builder.add_lesson(
                section=section,
                title=request.POST.get("title", ""),
                # A form from before lessons had kinds (an open tab) sends none: a video.
                kind=request.POST.get("kind", Lesson.Kind.VIDEO),
            )
        except ValidationError as error:
            raise BadInput(
                error,
                focus=f"section-{section.pk}-new-lesson",
                field="new-lesson",
                section=section.pk,
                value=request.POST.get("title", ""),
            ) from None
        return Outcome(
            f"Added the draft {ADDED[lesson.kind]} “{lesson}” to “{section}”. "
            f"{NEXT_STEP[lesson.kind]}",
            f"section-{section.pk}-new-lesson",
        )

    def _do_rename(self, request, course) -> Outcome:
        item = self._item(request, course)
        kind = "lesson" if isinstance(item, Lesson) else "section"
        before = item.title
        try:
            builder.rename(item=item, title=request.POST.get("title", ""))
        except ValidationError as error:
            raise BadInput(
                error,
                focus=f"{kind}-{item.pk}-title",
                field="title",
                **{kind: item.pk},
                value=request.POST.get("title", ""),
            ) from None
        return Outcome(f"Renamed “{before}” to “{item}”.", f"{kind}-{item.pk}-more")

    def _do_delete(self, request, course) -> Outcome:
        item = self._item(request, course)
        if isinstance(item, Lesson):
            builder.delete(item=item)
            return Outcome(
                f"Deleted the lesson “{item}” from “{item.section}”.",
                f"section-{item.section_id}-heading",
            )
        count = item.lessons.count()
        builder.delete(item=item)
        lessons = f" and its {count} lesson{'s' if count != 1 else ''}" if count else ""
        return Outcome(f"Deleted the section “{item}”{lessons}.", "curriculum-heading")

    def _do_publish(self, request, course) -> Outcome:
        published = self._flag(request, "published")
        if "lesson" in request.POST:
            lesson = self._lesson(request, course)
            try:
                builder.set_lesson_published(lesson=lesson, published=published)
            except ValidationError as error:
                raise BadInput(
                    error,
                    focus=f"lesson-{lesson.pk}-publish",
                    field="action",
                    lesson=lesson.pk,
                ) from None
            if published and not lesson.is_published:
                text = (
                    f"“{lesson}” will be published once its video is ready for streaming "
                    "(this course publishes lessons only then)."
                )
            elif published:
                text = f"Published “{lesson}”: students see it now."
            else:
                text = f"Unpublished “{lesson}”: it is a draft again and students no longer see it."
            return Outcome(text, f"lesson-{lesson.pk}-publish")
        section = self._section(request, course)
        result = builder.set_section_published(section=section, published=published)
        verb = "Published" if published else "Unpublished"
        text = f"{verb} {result.changed} lesson{'s' if result.changed != 1 else ''} of “{section}”."
        for group, reason in HELD_BACK.items():
            if held := getattr(result, group):
                names = ", ".join(f"“{lesson}”" for lesson in held)
                text += f" Still drafts, {reason}: {names}."
        which = "publish" if published else "unpublish"
        level = messages.WARNING if result.not_ready else messages.SUCCESS
        return Outcome(text, f"section-{section.pk}-{which}", level)

    def _do_preview(self, request, course) -> Outcome:
        lesson = self._lesson(request, course)
        free = self._flag(request, "free_preview")
        try:
            builder.set_free_preview(lesson=lesson, free_preview=free)
        except ValidationError as error:
            raise BadInput(error, focus=f"lesson-{lesson.pk}-preview", lesson=lesson) from None
        text = (
            f"“{lesson}” is a free preview: anyone may watch it."
            if free
            else f"“{lesson}” is no longer a free preview."
        )
        return Outcome(text, f"lesson-{lesson.pk}-preview")

    def _do_step(self, request, course) -> Outcome:
        item = self._item(request, course)
        direction = {"up": -1, "down": 1}.get(request.POST.get("direction"))
        if direction is None:
            raise BadInput("Unknown direction: use up or down.")
        kind = "lesson" if isinstance(item, Lesson) else "section"
        focus = f"{kind}-{item.pk}-{request.POST['direction']}"
        moved = builder.step(item=item, direction=direction)
        if not moved.moved:
            where = "first" if direction < 0 else "last"
            scope = "the course" if kind == "section" else "the course's lessons"
            return Outcome(f"“{item}” is already {where} in {scope}.", focus, messages.INFO)
        return Outcome(self._where(item, moved.section, moved.position), focus)

    def _do_place(self, request, course) -> Outcome:
        raw_index = request.POST.get("index", "")
        try:
            index = int(raw_index) if raw_index != "" else None
        except ValueError:
            raise BadInput("The position must be a whole number.") from None
        if "lesson" in request.POST:
            lesson = self._lesson(request, course)
            if request.POST.get("section", "") == "":
                raise BadInput(
                    f"Choose the section to move “{lesson}” to.",
                    focus=f"lesson-{lesson.pk}-section",
                    field="move",
                    lesson=lesson.pk,
                )
            section = self._section(request, course)
            position = builder.place_lesson(lesson=lesson, section=section, index=index)
            return Outcome(self._where(lesson, section, position), f"lesson-{lesson.pk}-more")
        section = self._section(request, course)
        position = builder.place_section(section=section, index=index)
        return Outcome(self._where(section, None, position), f"section-{section.pk}-heading")

    @staticmethod
    def _where(item, section, position: int) -> str:
        if section is None:
            return f"Moved the section “{item}” to position {position + 1}."
        return f"Moved “{item}” to position {position + 1} of “{section}”."
