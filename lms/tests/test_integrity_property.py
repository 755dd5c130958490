"""Any sequence of authoring, moderation and learning leaves every summary right.

Hypothesis drives a platform through random sequences of what staff do in the admin
(add, edit, move, reorder, publish, replace or clear videos, add, replace and delete
captions, delete lessons, sections, the curriculum builder's drags, ↑/↓ and publishing,
courses, enrolments and reviews; hide reviews) and what students do on the site (enrol,
leave, complete lessons, review, vote, report). After every step the integrity check
(``manage.py check_integrity``, with no grace for orphan files) must find nothing, and
no request may fail with a server error.

The suite runs a bounded number of examples; ``--hypothesis-profile=long`` runs many
more (README, "Integrity").
"""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.models import User
from accounts.tests.factories import InstructorFactory, StaffFactory, UserFactory
from catalog.models import Category, Course, Lesson, Section
from catalog.tests.factories import SAMPLE_MP4, published_course, quiz_lesson
from catalog.tests.test_admin import inline_management
from learning.models import Enrollment
from lms.lib.integrity import run_checks
from reviews import services as reviews
from reviews.models import Review
from video.models import Caption
from video.tests.factories import GOOD_VTT

pick = st.integers(min_value=0, max_value=1000)


def nth(queryset, n: int):
    """The ``n``-th row (wrapping around), or None when there is none."""
    rows = list(queryset.order_by("pk"))
    return rows[n % len(rows)] if rows else None


def video() -> SimpleUploadedFile:
    return SimpleUploadedFile("clip.mp4", SAMPLE_MP4.read_bytes(), content_type="video/mp4")


class Platform(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.staff = StaffFactory()
        self.admin = Client()
        self.admin.force_login(self.staff)
        instructor = InstructorFactory()
        for _ in range(2):
            course = published_course(sections=2, lessons=2, with_video=True, instructor=instructor)
        quiz_lesson(course.sections.order_by("order").last(), questions=2, max_attempts=3)
        self.students = []
        for _ in range(3):
            client = Client()
            client.force_login(UserFactory())
            self.students.append(client)

    def teardown(self):
        Course.objects.all().delete()  # cascades take sections, lessons and their files
        User.objects.all().delete()
        Category.objects.all().delete()
        assert run_checks(orphan_grace=0) == []  # every file went with its row

    # --- helpers ------------------------------------------------------------------------
    def post(self, client, url, data=None, **kwargs):
        response = client.post(url, data or {}, **kwargs)
        assert response.status_code < 500, (url, response.status_code)
        return response

    def student(self, n: int):
        client = self.students[n % len(self.students)]
        return client, User.objects.get(pk=client.session["_auth_user_id"])

    def lesson_form(self, lesson: Lesson, **changes) -> dict:
        data = {
            "section": lesson.section_id,
            "title": lesson.title,
            "description": lesson.description,
            "is_free_preview": "on" if lesson.is_free_preview else "",
            "is_published": "on" if lesson.is_published else "",
            **inline_management("captions"),
        }
        data.update(changes)
        return {key: value for key, value in data.items() if value != ""}

    def section_form(self, section: Section, **changes) -> dict:
        return {
            "course": section.course_id,
            "title": section.title,
            "lessons-TOTAL_FORMS": "0",
            "lessons-INITIAL_FORMS": "0",
            "lessons-MIN_NUM_FORMS": "0",
            "lessons-MAX_NUM_FORMS": "1000",
            **changes,
        }

    # --- authoring in the admin ---------------------------------------------------------
    @rule(n=pick, with_video=st.booleans(), published=st.booleans())
    def add_lesson(self, n, with_video, published):
        section = nth(Section.objects.all(), n)
        if section is None:
            return
        data = {
            "section": section.pk,
            "title": f"Lesson {n}",
            "description": "",
            **({"video": video()} if with_video else {}),
            **({"is_published": "on"} if published else {}),
            **inline_management("captions"),
        }
        self.post(self.admin, reverse("admin:catalog_lesson_add"), data)

    @rule(
        n=pick,
        language=st.sampled_from(["en", "fr"]),
        change=st.sampled_from(["add", "replace", "delete"]),
    )
    def caption(self, n, language, change):
        """Captions on the lesson's page: add one (a second in a language is refused),
        replace a file, delete one: files follow the rows."""
        lesson = nth(Lesson.objects.all(), n)
        if lesson is None:
            return
        existing = Caption.objects.filter(lesson=lesson).order_by("pk").first()
        if change == "add" or existing is None:
            rows = {
                **inline_management("captions", total=1),
                "captions-0-language": language,
                "captions-0-file": SimpleUploadedFile("c.vtt", GOOD_VTT.encode(), "text/vtt"),
            }
        else:
            rows = {
                **inline_management("captions", total=1, initial=1),
                "captions-0-id": existing.pk,
                "captions-0-lesson": lesson.pk,
                "captions-0-language": existing.language,
                **(
                    {"captions-0-DELETE": "on"}
                    if change == "delete"
                    else {"captions-0-file": SimpleUploadedFile("c.vtt", GOOD_VTT.encode())}
                ),
            }
        url = reverse("admin:catalog_lesson_change", args=[lesson.pk])
        self.post(self.admin, url, self.lesson_form(lesson, **rows))

    @rule(
        n=pick,
        m=pick,
        change=st.sampled_from(
            ["rename", "publish", "unpublish", "preview", "replace", "clear", "move"]
        ),
    )
    def edit_lesson(self, n, m, change):
        lesson = nth(Lesson.objects.all(), n)
        if lesson is None:
            return
        changes = {
            "rename": {"title": f"Renamed {m}"},
            "publish": {"is_published": "on"},
            "unpublish": {"is_published": ""},
            "preview": {"is_free_preview": "" if lesson.is_free_preview else "on"},
            "replace": {"video": video()},
            "clear": {"video-clear": "on"},
            "move": {"section": getattr(nth(Section.objects.all(), m), "pk", lesson.section_id)},
        }[change]
        url = reverse("admin:catalog_lesson_change", args=[lesson.pk])
        self.post(self.admin, url, self.lesson_form(lesson, **changes))

    @rule(n=pick)
    def delete_lesson(self, n):
        lesson = nth(Lesson.objects.all(), n)
        if lesson is not None:
            url = reverse("admin:catalog_lesson_delete", args=[lesson.pk])
            self.post(self.admin, url, {"post": "yes"})

    @rule(n=pick)
    def add_section(self, n):
        course = nth(Course.objects.all(), n)
        if course is not None:
            data = {**self.section_form(Section(course=course, title=f"Section {n}"))}
            self.post(self.admin, reverse("admin:catalog_section_add"), data)

    @rule(n=pick, m=pick)
    def move_section_to_another_course(self, n, m):
        section, course = nth(Section.objects.all(), n), nth(Course.objects.all(), m)
        if section is not None and course is not None:
            url = reverse("admin:catalog_section_change", args=[section.pk])
            self.post(self.admin, url, self.section_form(section, course=course.pk))

    @rule(n=pick)
    def delete_section(self, n):
        section = nth(Section.objects.all(), n)
        if section is not None:
            url = reverse("admin:catalog_section_delete", args=[section.pk])
            self.post(self.admin, url, {"post": "yes"})

    @rule(n=pick, kind=st.sampled_from(["section", "lesson"]), up=st.booleans())
    def reorder(self, n, kind, up):
        item = nth((Section if kind == "section" else Lesson).objects.all(), n)
        if item is not None:
            url = reverse(f"admin:catalog_{kind}_move", args=[item.pk])
            self.post(self.admin, f"{url}?direction={'up' if up else 'down'}")

    # --- the curriculum builder on the course's page ------------------------------------
    def builder(self, course, action: str, data: dict):
        url = reverse(f"admin:catalog_course_curriculum_{action}", args=[course.pk])
        return self.post(self.admin, url, data, HTTP_HX_REQUEST="true")

    @rule(n=pick, m=pick, index=st.integers(min_value=-1, max_value=5))
    def builder_drag(self, n, m, index):
        """One drop: a lesson to a place in a section of its course, or a section."""
        lesson = nth(Lesson.objects.select_related("section"), n)
        if lesson is None:
            return
        course = lesson.section.course
        target = nth(course.sections.all(), m)
        self.builder(course, "place", {"lesson": lesson.pk, "section": target.pk, "index": index})
        section = nth(Section.objects.select_related("course"), m)
        self.builder(section.course, "place", {"section": section.pk, "index": index})

    @rule(n=pick, kind=st.sampled_from(["section", "lesson"]), up=st.booleans())
    def builder_step(self, n, kind, up):
        """↑/↓ on the builder: a lesson at a section's end steps into the next section."""
        item = nth((Section if kind == "section" else Lesson).objects.all(), n)
        if item is not None:
            course = item.course if kind == "section" else item.section.course
            self.builder(course, "step", {kind: item.pk, "direction": "up" if up else "down"})

    @rule(
        n=pick,
        change=st.sampled_from(
            ["publish", "unpublish", "publish_all", "unpublish_all", "add", "delete"]
        ),
    )
    def builder_change(self, n, change):
        lesson = nth(Lesson.objects.select_related("section__course"), n)
        if lesson is None:
            return
        section, course = lesson.section, lesson.section.course
        data = {
            "publish": ("publish", {"lesson": lesson.pk, "published": "1"}),
            "unpublish": ("publish", {"lesson": lesson.pk, "published": "0"}),
            "publish_all": ("publish", {"section": section.pk, "published": "1"}),
            "unpublish_all": ("publish", {"section": section.pk, "published": "0"}),
            "add": ("add_lesson", {"section": section.pk, "title": f"Draft {n}"}),
            "delete": ("delete", {"section": section.pk} if n % 2 else {"lesson": lesson.pk}),
        }[change]
        self.builder(course, *data)

    @rule(n=pick, action=st.sampled_from(["publish", "unpublish"]))
    def publish_or_unpublish_course(self, n, action):
        course = nth(Course.objects.all(), n)
        if course is not None:
            data = {"action": action, "_selected_action": [course.pk]}
            self.post(self.admin, reverse("admin:catalog_course_changelist"), data)

    @rule(n=pick)
    def add_course(self, n):
        published_course(sections=1, lessons=1, with_video=True)

    @rule(n=pick)
    def delete_course(self, n):
        if Course.objects.count() > 1:
            course = nth(Course.objects.all(), n)
            url = reverse("admin:catalog_course_delete", args=[course.pk])
            self.post(self.admin, url, {"post": "yes"})

    # --- moderation in the admin --------------------------------------------------------
    @rule(n=pick, bulk=st.booleans())
    def staff_delete_enrolment(self, n, bulk):
        enrollment = nth(Enrollment.objects.all(), n)
        if enrollment is None:
            return
        if bulk:
            data = {"action": "delete_selected", "_selected_action": [enrollment.pk], "post": "yes"}
            self.post(self.admin, reverse("admin:learning_enrollment_changelist"), data)
        else:
            url = reverse("admin:learning_enrollment_delete", args=[enrollment.pk])
            self.post(self.admin, url, {"post": "yes"})

    @rule(n=pick, bulk=st.booleans())
    def staff_delete_review(self, n, bulk):
        review = nth(Review.objects.all(), n)
        if review is None:
            return
        if bulk:
            data = {"action": "delete_selected", "_selected_action": [review.pk], "post": "yes"}
            self.post(self.admin, reverse("admin:reviews_review_changelist"), data)
        else:
            url = reverse("admin:reviews_review_delete", args=[review.pk])
            self.post(self.admin, url, {"post": "yes"})

    @rule(n=pick, hidden=st.booleans())
    def staff_hide_review(self, n, hidden):
        review = nth(Review.objects.all(), n)
        if review is not None:
            reviews.set_hidden(review=review, hidden=hidden, by=self.staff, reason="Test")

    # --- learning on the site -------------------------------------------------------------
    @rule(s=pick, n=pick)
    def enrol(self, s, n):
        course = nth(Course.objects.all(), n)
        if course is not None:
            client, _ = self.student(s)
            self.post(client, reverse("learning:enroll", args=[course.slug]))

    @rule(s=pick, n=pick)
    def leave(self, s, n):
        course = nth(Course.objects.all(), n)
        if course is not None:
            client, _ = self.student(s)
            self.post(client, reverse("learning:unenroll", args=[course.slug]))

    def lesson_of_mine(self, user, n: int, *, mine: bool):
        """Mostly a lesson of a course the student is enrolled in; sometimes any lesson."""
        lessons = Lesson.objects.all()
        return nth(lessons.filter(section__course__enrollments__user=user) if mine else lessons, n)

    @rule(s=pick, n=pick, done=st.booleans(), mine=st.booleans())
    def complete_lesson(self, s, n, done, mine):
        client, user = self.student(s)
        lesson = self.lesson_of_mine(user, n, mine=mine)
        if lesson is not None:
            url = reverse("learning:complete", args=[lesson.pk])
            self.post(client, url, {"completed": "1" if done else "0"})

    @rule(s=pick, n=pick, start=st.integers(min_value=0, max_value=12), mine=st.booleans())
    def watch(self, s, n, start, mine):
        client, user = self.student(s)
        lesson = self.lesson_of_mine(user, n, mine=mine)
        if lesson is not None:
            url = reverse("learning:progress", args=[lesson.pk])
            data = {"position": start + 4, "start": start, "end": start + 4}
            self.post(client, url, json.dumps(data), content_type="application/json")

    @rule(n=pick, questions=st.integers(min_value=1, max_value=3), must_pass=st.booleans())
    def add_quiz(self, n, questions, must_pass):
        section = nth(Section.objects.all(), n)
        if section is not None:
            quiz_lesson(section, questions=questions, must_pass=must_pass, max_attempts=3)

    @rule(s=pick, n=pick, right=st.integers(min_value=0, max_value=3), mine=st.booleans())
    def take_quiz(self, s, n, right, mine):
        """Answer the first ``right`` questions right (the factory's "Right"), the rest
        wrong, through the page's own form."""
        client, _ = self.student(s)
        lesson = nth(
            Lesson.objects.filter(kind=Lesson.Kind.QUIZ).select_related("section__course"), n
        )
        if lesson is None:
            return
        if mine:  # mostly as an enrolled student
            self.post(client, reverse("learning:enroll", args=[lesson.section.course.slug]))
        page = client.get(reverse("learning:lesson", args=[lesson.section.course.slug, lesson.pk]))
        assert page.status_code < 500
        html = page.content.decode() if page.status_code == 200 else ""
        token = re.search(r'name="token" value="([^"]+)"', html)
        data = {"token": token.group(1) if token else "none"}
        for index, (name, value, label) in enumerate(
            re.findall(r'name="(q-\d+)" id="choice-\d+" value="(\d+)">\s*<label[^>]*>(\w+)<', html)
        ):
            if (label == "Right") == (index // 2 < right):
                data.setdefault(name, value)
        self.post(client, reverse("learning:quiz_submit", args=[lesson.pk]), data)

    @rule(s=pick, n=pick, rating=st.integers(min_value=1, max_value=5), mine=st.booleans())
    def review(self, s, n, rating, mine):
        client, user = self.student(s)
        courses = Course.objects.filter(enrollments__user=user) if mine else Course.objects.all()
        course = nth(courses, n)
        if course is not None:
            url = reverse("reviews:submit", args=[course.slug])
            self.post(client, url, {"rating": rating, "text": "Property-based review"})

    @rule(s=pick, n=pick)
    def delete_own_review(self, s, n):
        client, user = self.student(s)
        review = nth(Review.objects.filter(user=user), n)
        if review is not None:
            self.post(client, reverse("reviews:delete", args=[review.pk]))

    @rule(s=pick, n=pick, report=st.booleans())
    def vote_or_report(self, s, n, report):
        review = nth(Review.objects.all(), n)
        if review is not None:
            client, _ = self.student(s)
            if report:
                url = reverse("reviews:report", args=[review.pk])
                self.post(client, url, {"reason": "spam", "details": ""})
            else:
                self.post(client, reverse("reviews:helpful", args=[review.pk]))

    # --- what must always hold ----------------------------------------------------------
    @invariant()
    def no_drift(self):
        assert [str(d) for d in run_checks(orphan_grace=0)] == []


@pytest.mark.django_db(transaction=True)
def test_any_sequence_of_operations_leaves_no_drift():
    run_state_machine_as_test(Platform)
