"""Duplicating a course: a draft with the same structure and copies of every file, nothing
of the original's students, and nothing left behind when it fails half-way."""

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import Storage
from django.urls import reverse

from catalog.duplicate import duplicate_course
from catalog.models import Course, Lesson, Tag
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from learning import services as learning
from learning.models import Certificate, Enrollment, LessonProgress
from reviews import services as reviews
from reviews.models import Review
from video.models import Caption, Transcode
from video.tests.factories import GOOD_VTT, add_caption

TRANSACTIONAL = pytest.param(
    True, marks=pytest.mark.django_db(transaction=True), id="outermost-transaction"
)
NESTED = pytest.param(False, marks=pytest.mark.django_db, id="savepoint")


def stored(*roots) -> list[str]:
    return sorted(str(p) for root in roots for p in Path(root).rglob("*") if p.is_file())


def outline(course) -> list[tuple]:
    """Sections and lessons in order, with what a copy must keep of each lesson."""
    return [
        (
            section.title,
            [
                (x.title, x.description, x.duration, x.is_published, x.is_free_preview, x.order)
                for x in section.lessons.order_by("order")
            ],
        )
        for section in course.sections.order_by("order")
    ]


@pytest.fixture
def original(instructor):
    """Two sections (three lessons, then two; one unpublished, one free preview, three
    with videos, one with English and French captions), tags, a thumbnail, a price."""
    course = CourseFactory(
        instructor=instructor,
        title="Painting with light",
        subtitle="Photography basics",
        what_you_will_learn="Exposure\nComposition",
        requirements="A camera",
        level=Course.Level.INTERMEDIATE,
        language=Course.Language.FRENCH,
        price=Decimal("39.00"),
        lessons_wait_for_video=False,
        with_thumbnail=True,
    )
    course.tags.set([Tag.objects.create(name="light"), Tag.objects.create(name="camera")])
    first, second = SectionFactory(course=course, title="Basics"), SectionFactory(course=course)
    lessons = [
        LessonFactory(section=first, title="Welcome", with_video=True, is_free_preview=True),
        LessonFactory(section=first, title="Exposure", with_video=True, description="F-stops"),
        LessonFactory(section=first, title="Draft lesson", is_published=False, duration=30),
        LessonFactory(section=second, title="Framing", with_video=True),
        LessonFactory(section=second, title="Text only", duration=0),
    ]
    lessons[0].move(1)  # orders that are not creation order
    add_caption(lessons[1], "en")
    add_caption(lessons[1], "fr", GOOD_VTT.replace("Welcome", "Bienvenue"))
    course.publish()
    course.refresh_from_db()
    return course


@pytest.mark.django_db
def test_the_copy_is_a_draft_with_the_same_structure(original, instructor):
    copy = duplicate_course(original, by=instructor)
    assert copy.pk != original.pk
    assert copy.title == "Copy of Painting with light"
    assert copy.slug == "copy-of-painting-with-light"
    assert (copy.status, copy.published_at, copy.featured) == (Course.Status.DRAFT, None, False)
    for field in (
        "subtitle",
        "description",
        "what_you_will_learn",
        "requirements",
        "category_id",
        "level",
        "language",
        "price",
        "price_decided",
        "lessons_wait_for_video",
        "instructor_id",
    ):
        assert getattr(copy, field) == getattr(original, field), field
    assert set(copy.tags.values_list("name", flat=True)) == {"light", "camera"}
    assert outline(copy) == outline(original)
    assert outline(copy)[0][1][0][0] == "Exposure"  # the moved lesson kept its place
    copy.refresh_from_db()
    assert (copy.lesson_count, copy.total_duration) == (original.lesson_count, 12 * 3)
    assert (copy.enrollment_count, copy.rating_count, copy.rating_avg) == (0, 0, 0)
    assert copy.publish_problems() == []  # ready to publish when its author wants


@pytest.mark.django_db
def test_every_file_is_copied_under_a_new_name(original, instructor, settings):
    copy = duplicate_course(original, by=instructor)
    assert copy.thumbnail.name != original.thumbnail.name
    assert copy.thumbnail.read() == original.thumbnail.read()
    pairs = list(
        zip(
            Lesson.objects.filter(section__course=original).order_by("section__order", "order"),
            Lesson.objects.filter(section__course=copy).order_by("section__order", "order"),
            strict=True,
        )
    )
    with_video = [(old, new) for old, new in pairs if old.video]
    assert len(with_video) == 3 and all(not new.video for old, new in pairs if not old.video)
    for old, new in with_video:
        assert new.video.name != old.video.name and new.video.name.startswith("videos/")
        assert Path(new.video.path).read_bytes() == Path(old.video.path).read_bytes()
        # The copy's video is followed like an upload: its own rendition set, queued.
        transcode = Transcode.objects.get(lesson=new)
        assert (transcode.source, transcode.status) == (new.video.name, Transcode.Status.QUEUED)


@pytest.mark.django_db
def test_captions_are_copied_for_the_new_lessons(original, instructor):
    copy = duplicate_course(original, by=instructor)
    old = Caption.objects.filter(lesson__section__course=original).order_by("language")
    new = Caption.objects.filter(lesson__section__course=copy).order_by("language")
    assert [c.language for c in new] == ["en", "fr"]
    assert {c.lesson.title for c in new} == {"Exposure"}
    for before, after in zip(old, new, strict=True):
        assert after.file.name != before.file.name
        assert after.file.read() == before.file.read()


@pytest.mark.django_db
def test_deleting_either_course_leaves_the_others_files(
    original, instructor, django_capture_on_commit_callbacks
):
    copy = duplicate_course(original, by=instructor)

    def files(course) -> list[str]:
        lessons = Lesson.objects.filter(section__course=course)
        captions = Caption.objects.filter(lesson__section__course=course)
        return (
            [course.thumbnail.path]
            + [x.video.path for x in lessons if x.video]
            + [c.file.path for c in captions]
        )

    mine, theirs = files(copy), files(original)
    assert len(mine) == 6 and not set(mine) & set(theirs)
    with django_capture_on_commit_callbacks(execute=True):
        Course.objects.get(pk=original.pk).delete()
    assert not any(Path(p).exists() for p in theirs)
    assert all(Path(p).exists() for p in mine)


@pytest.mark.django_db
def test_the_copy_has_no_students_progress_reviews_or_certificates(
    original, instructor, student, other_student
):
    lessons = list(original.published_lessons())
    for user in (student, other_student):
        learning.enroll_paid(user=user, course=original, price_paid=original.price)
    for lesson in lessons:
        learning.set_completed(user=student, lesson=lesson, completed=True)
    reviews.save_review(user=student, course=original, rating=5, text="Great")
    original.refresh_from_db()
    assert original.enrollment_count == 2 and original.rating_count == 1

    copy = duplicate_course(original, by=instructor)
    copy.refresh_from_db()
    assert not Enrollment.objects.filter(course=copy).exists()
    assert not LessonProgress.objects.filter(lesson__section__course=copy).exists()
    assert not Review.objects.filter(course=copy).exists()
    assert not Certificate.objects.filter(course=copy).exists()
    assert (copy.enrollment_count, copy.rating_count, copy.rating_histogram) == (0, 0, [])
    assert Enrollment.objects.filter(course=original).count() == 2  # the original is untouched


@pytest.mark.django_db
def test_in_a_course_that_waits_for_video_a_copied_lesson_waits_too(instructor):
    """Its copied video is a new upload, not ready to stream: the lesson publishes itself
    when its rendition set is ready, as an uploaded one would."""
    course = CourseFactory(instructor=instructor, lessons_wait_for_video=True)
    LessonFactory(section=SectionFactory(course=course), with_video=True, is_published=True)
    Lesson.objects.filter(section__course=course).update(is_published=True)
    copy = duplicate_course(course, by=instructor)
    lesson = Lesson.objects.get(section__course=copy)
    assert not lesson.is_published and lesson.transcode.publish_when_ready


@pytest.mark.django_db
def test_copies_get_slugs_of_their_own_and_long_titles_fit(instructor):
    course = CourseFactory(instructor=instructor, title="T" * 120)
    first = duplicate_course(course, by=instructor)
    second = duplicate_course(course, by=instructor)
    assert len(first.title) == 120 and first.title.startswith("Copy of TTT")
    assert first.slug != second.slug
    first.full_clean()


@pytest.mark.django_db
def test_staff_duplicating_keep_the_courses_instructor(original, staff, instructor):
    assert duplicate_course(original, by=staff).instructor == instructor


@pytest.mark.django_db
def test_only_the_instructor_and_staff_may_duplicate(original, other_instructor, student):
    for user in (other_instructor, student):
        with pytest.raises(PermissionDenied):
            duplicate_course(original, by=user)
    assert Course.objects.count() == 1


@pytest.mark.parametrize("outermost", [TRANSACTIONAL, NESTED])
@pytest.mark.parametrize("failing_write", [2, 4], ids=["first-video", "after-a-saved-lesson"])
def test_a_failure_half_way_leaves_no_course_and_no_copied_file(
    original, instructor, settings, monkeypatch, outermost, failing_write
):
    """The storage refuses a write (the 1st is the thumbnail, the 2nd the first video,
    the 4th comes after two lessons were saved): no row, and every file written goes."""
    before = stored(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
    rows = (Course.objects.count(), Lesson.objects.count(), Caption.objects.count())
    save, writes = Storage.save, []

    def flaky_save(storage, name, content, max_length=None):
        writes.append(name)
        if len(writes) == failing_write:
            raise OSError("the storage went away")
        return save(storage, name, content, max_length)

    monkeypatch.setattr(Storage, "save", flaky_save)
    with pytest.raises(OSError, match="went away"):
        duplicate_course(original, by=instructor)
    assert len(writes) == failing_write
    assert (Course.objects.count(), Lesson.objects.count(), Caption.objects.count()) == rows
    assert stored(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT) == before


@pytest.mark.parametrize("outermost", [TRANSACTIONAL, NESTED])
def test_a_failing_caption_copy_rolls_the_whole_copy_back(
    original, instructor, settings, monkeypatch, outermost
):
    before = stored(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
    monkeypatch.setattr(Caption, "save", lambda *a, **k: (_ for _ in ()).throw(OSError("no")))
    with pytest.raises(OSError):
        duplicate_course(original, by=instructor)
    assert Course.objects.count() == 1
    assert stored(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT) == before


@pytest.mark.django_db
def test_no_room_for_the_videos_refuses_before_writing(original, instructor, settings, monkeypatch):
    before = stored(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
    full = shutil._ntuple_diskusage(total=10**9, used=10**9 - 1000, free=1000)
    monkeypatch.setattr("lms.lib.files.shutil.disk_usage", lambda path: full)
    with pytest.raises(ValidationError, match="no room"):
        duplicate_course(original, by=instructor)
    assert Course.objects.count() == 1
    assert stored(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT) == before


# --- In the admin ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_duplicate_button_opens_the_copy(client, original, instructor):
    client.force_login(instructor)
    response = client.post(
        reverse("admin:catalog_course_duplicate", args=[original.pk]), follow=True
    )
    copy = Course.objects.exclude(pk=original.pk).get()
    assert response.redirect_chain[-1][0] == reverse("admin:catalog_course_change", args=[copy.pk])
    page = response.content.decode()
    assert "was copied to the draft" in page and "prepared for streaming again" in page
    assert copy.instructor == instructor


@pytest.mark.django_db
def test_a_failed_copy_says_so_in_the_admin(client, original, instructor, monkeypatch):
    def broken(storage, name, content, max_length=None):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Storage, "save", broken)
    client.force_login(instructor)
    response = client.post(
        reverse("admin:catalog_course_duplicate", args=[original.pk]), follow=True
    )
    page = response.content.decode()
    assert "was not copied: one of its files could not be copied (Input/output error)" in page
    assert response.redirect_chain[-1][0].endswith(f"/{original.pk}/change/")
    assert Course.objects.count() == 1


@pytest.mark.django_db
def test_the_duplicate_action(client, instructor, other_instructor):
    mine = [CourseFactory(instructor=instructor, title=t) for t in ("One", "Two")]
    theirs = CourseFactory(instructor=other_instructor, title="Theirs")
    client.force_login(instructor)
    changelist = reverse("admin:catalog_course_changelist")
    response = client.post(
        changelist,
        {"action": "duplicate", "_selected_action": [c.pk for c in [*mine, theirs]]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == changelist
    assert sorted(Course.objects.values_list("title", flat=True)) == [
        "Copy of One",
        "Copy of Two",
        "One",
        "Theirs",
        "Two",
    ]
    single = client.post(changelist, {"action": "duplicate", "_selected_action": [mine[0].pk]})
    copy = Course.objects.filter(title="Copy of One").order_by("-pk").first()
    assert single["Location"] == reverse("admin:catalog_course_change", args=[copy.pk])


# --- Articles and quizzes ----------------------------------------------------------------------
@pytest.mark.django_db
def test_articles_and_quizzes_are_copied_with_questions_and_answers(instructor):
    from catalog.models import Choice, Question, Quiz
    from catalog.quizzes import quiz_problems
    from catalog.tests.test_builder_kinds import make_article, make_quiz

    course = CourseFactory(instructor=instructor, with_thumbnail=True)
    section = SectionFactory(course=course, title="Mixed")
    make_article(section, title="Reading", body="# Notes\n\n" + "word " * 300, published=True)
    first = make_quiz(section, title="Quiz one", questions=2, published=True)
    second = make_quiz(section, title="Quiz two", questions=3)
    quiz = first.quiz
    quiz.pass_mark, quiz.max_attempts, quiz.shuffle_choices = 80, 2, True
    quiz.review, quiz.must_pass, quiz.version = Quiz.Review.MISTAKES, False, 4
    quiz.save()
    Question.objects.filter(quiz=quiz).update(kind="single", explanation="Because.")
    course.publish()

    copy = duplicate_course(course, by=instructor)

    lessons = {x.title: x for x in Lesson.objects.filter(section__course=copy)}
    assert lessons["Reading"].kind == "article" and lessons["Reading"].body.startswith("# Notes")
    assert lessons["Reading"].duration == 120 and lessons["Reading"].is_published
    copied = lessons["Quiz one"].quiz
    assert copied.pk != quiz.pk and lessons["Quiz one"].kind == "quiz"
    assert (copied.pass_mark, copied.max_attempts, copied.shuffle_choices) == (80, 2, True)
    assert (copied.review, copied.must_pass, copied.version) == ("mistakes", False, 1)
    assert quiz_problems(copied) == [] and quiz_problems(lessons["Quiz two"].quiz) == []

    def contents(lesson):
        return [
            (
                q.order,
                q.kind,
                q.text,
                q.explanation,
                [(c.order, c.text, c.is_correct) for c in q.choices.all()],
            )
            for q in Question.objects.filter(quiz__lesson=lesson).prefetch_related("choices")
        ]

    assert contents(lessons["Quiz one"]) == contents(first)
    assert contents(lessons["Quiz two"]) == contents(second)
    # New rows, the originals untouched.
    assert Question.objects.filter(quiz__lesson__section__course=copy).count() == 5
    assert Choice.objects.filter(question__quiz__lesson__section__course=copy).count() == 10
    assert Question.objects.filter(quiz__lesson__section__course=course).count() == 5
    copy.refresh_from_db()
    assert (copy.lesson_count, copy.total_duration) == (2, 120)


@pytest.mark.django_db
def test_copying_quizzes_costs_the_same_for_one_or_many(instructor, django_assert_num_queries):
    from catalog.duplicate import copy_quizzes
    from catalog.tests.test_builder_kinds import make_quiz

    for count in (1, 6):
        section = SectionFactory(course=CourseFactory(instructor=instructor))
        target = SectionFactory(course=CourseFactory(instructor=instructor))
        pairs = []
        for n in range(count):
            old = make_quiz(section, title=f"Q{n}", questions=3)
            pairs.append((old, LessonFactory(section=target, kind="quiz", title=f"Q{n}")))
        with django_assert_num_queries(6):  # 3 reads, 3 bulk inserts
            copy_quizzes(pairs)
        assert all(new.quiz.questions.count() == 3 for _, new in pairs)
