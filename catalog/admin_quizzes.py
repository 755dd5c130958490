"""The quiz editor in the admin: a quiz's settings and every question, on one page.

``admin:catalog_quiz_change`` (args: the quiz's pk) is the editor; the curriculum builder
links each quiz lesson there. A quiz exists with its lesson (the builder makes both), so
the admin neither adds nor deletes quizzes, and Quiz is not listed in the admin's index
on its own: a quiz means nothing apart from its lesson. Its questions and answers have no
admin pages of their own either: they are edited here.

Scoping is the course admin's (``AuthoredByMixin``): instructors reach the quizzes of
their own courses, staff every quiz; another instructor's quiz id is a 404. What the
page does is in ``catalog.quiz_editor``; this module loads, renders and redirects.
"""

import contextlib

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from catalog import quiz_editor as editor
from catalog.admin_mixins import AuthoredByMixin
from catalog.models import Question, Quiz

TEMPLATE = "admin/catalog/quiz/change_form.html"


@admin.register(Quiz)
class QuizAdmin(AuthoredByMixin, admin.ModelAdmin):
    course_path = "lesson__section__course"
    list_display = ["lesson", "course", "version", "updated_at"]
    list_select_related = ["lesson__section__course"]
    search_fields = ["lesson__title", "lesson__section__course__title"]

    @admin.display(description="Course", ordering="lesson__section__course__title")
    def course(self, quiz):
        return quiz.lesson.section.course

    def has_module_permission(self, request):
        return False  # reached from its lesson in the curriculum builder

    def has_add_permission(self, request, *args):
        return False  # made with its quiz lesson

    def get_actions(self, request):
        return {}  # no "Delete selected": a quiz goes with its lesson

    def delete_view(self, request, object_id, extra_context=None):
        # A quiz is deleted with its lesson. (has_delete_permission stays the model's:
        # deleting a lesson, section or course in the admin checks it for their quiz.)
        raise PermissionDenied("A quiz is deleted with its lesson, from the course's page.")

    # --- The editor --------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        quiz = self._quiz(request, object_id)
        if request.method == "POST":
            if request.POST.get("edit"):
                return self._edit(request, quiz, request.POST["edit"])
            return self._save(request, quiz)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
        return self._page(request, quiz, blocks=self._saved_blocks(quiz))

    def _quiz(self, request, object_id) -> Quiz:
        """The quiz among those the user may author (else 404), with change rights."""
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404("No such quiz.") from None
        quiz = self.get_queryset(request).select_related("lesson__section__course")
        quiz = quiz.filter(pk=pk).first()
        if quiz is None:
            raise Http404("No such quiz among your courses.")
        if not self.has_change_permission(request, quiz):
            raise PermissionDenied
        return quiz

    @staticmethod
    def _saved_blocks(quiz: Quiz) -> list[editor.QuestionBlock]:
        questions = quiz.questions.prefetch_related("choices")
        return editor.blocks_for(editor.drafts_from_quiz(questions), bound=False)

    def _edit(self, request, quiz: Quiz, edit: str):
        """A button that changes the page, not the quiz: the form comes back with the
        change made (only the form, for htmx) and nothing saved."""
        try:
            drafts = editor.drafts_from_post(request.POST)
            outcome = editor.apply_edit(drafts, edit)
        except editor.Refused as refusal:
            return self._refused(request, quiz, refusal)
        posted = editor.QuizSettingsForm(request.POST, instance=quiz, prefix="quiz")
        settings_form = editor.QuizSettingsForm(
            instance=quiz,
            prefix="quiz",
            initial={name: posted[name].data for name in posted.fields},
        )
        return self._page(
            request,
            quiz,
            blocks=editor.blocks_for(drafts, bound=False),
            settings_form=settings_form,
            stamp=request.POST.get("stamp", ""),  # a page out of date stays out of date
            announce=outcome.message,
            focus=outcome.focus,
            unsaved=True,
        )

    def _save(self, request, quiz: Quiz):
        try:
            saved, settings_form, blocks, changed = editor.save_form(quiz.pk, data=request.POST)
        except editor.Refused as refusal:
            return self._refused(request, quiz, refusal)
        if changed is None:
            return self._page(
                request,
                quiz,
                blocks=blocks,
                settings_form=settings_form,
                stamp=request.POST.get("stamp", ""),
                status=400,
            )
        attempts = quiz.lesson.quiz_attempts.count()
        if changed:
            kept = {
                0: "",
                1: " The earlier attempt keeps the score it was given.",
            }.get(attempts, f" The {attempts} earlier attempts keep the score they were given.")
            message = f"Saved the quiz: version {saved.version} from now on.{kept}"
        else:
            message = (
                "Saved. The questions, answers and pass mark did not change: "
                f"still version {saved.version}."
            )
        self.log_change(  # the quiz's History in the admin
            request,
            saved,
            f"Saved the questions: version {saved.version}." if changed else "Saved the settings.",
        )
        messages.success(request, message)
        return HttpResponseRedirect(self.quiz_url(quiz))

    def _refused(self, request, quiz: Quiz, refusal: editor.Refused):
        if request.htmx:  # a change button with a form out of step: start again from the quiz
            messages.error(request, refusal.message)
            return HttpResponseClientRedirect(self.quiz_url(quiz))
        blocks = None
        if refusal.keep_input:
            with contextlib.suppress(editor.Refused):  # a form too broken to show again
                blocks = editor.blocks_for(editor.drafts_from_post(request.POST), bound=False)
        stamp = request.POST.get("stamp", "") if blocks is not None else None
        return self._page(
            request,
            quiz,
            blocks=blocks if blocks is not None else self._saved_blocks(quiz),
            stamp=stamp,
            page_error=refusal.message,
            status=refusal.status,
        )

    def _page(
        self,
        request,
        quiz: Quiz,
        *,
        blocks,
        settings_form=None,
        stamp=None,
        page_error="",
        announce="",
        focus="",
        unsaved=False,
        status=200,
    ):
        lesson = quiz.lesson
        course = lesson.section.course
        editor.focus_on(blocks, focus)
        problems = [(block.number, message) for block in blocks for message in block.messages]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Quiz: {lesson.title}",
            "subtitle": course.title,
            "opts": self.model._meta,
            "quiz": quiz,
            "lesson": lesson,
            "course": course,
            "settings_form": settings_form or editor.QuizSettingsForm(instance=quiz, prefix="quiz"),
            "blocks": blocks,
            "question_count": sum(1 for b in blocks if not b.draft.remove and not b.draft.blank),
            "attempt_count": lesson.quiz_attempts.count(),
            "stamp": editor.stamp(quiz) if stamp is None else stamp,
            "page_error": page_error,
            "problems": problems,
            "announce": announce,
            "focus": focus,
            "unsaved": unsaved,
            "form_url": self.quiz_url(quiz),
            "course_url": reverse("admin:catalog_course_change", args=[course.pk]),
            "stats_url": reverse("quiz_stats", args=[lesson.pk]),
            "is_quiz_lesson": lesson.kind == lesson.Kind.QUIZ,
            "true_false": Question.Kind.TRUE_FALSE,
            "max_questions": editor.MAX_QUESTIONS,
            "max_answers": editor.MAX_ANSWERS,
        }
        template = f"{TEMPLATE}#quiz-form" if request.htmx else TEMPLATE
        return TemplateResponse(request, template, context, status=status)

    @staticmethod
    def quiz_url(quiz: Quiz) -> str:
        return reverse("admin:catalog_quiz_change", args=[quiz.pk])
