"""Lesson kinds in authoring: the curriculum builder adds video, article and quiz lessons
and publishes each only when it is ready; the lesson's admin page edits what its kind
has; an article's duration is its reading time. Through the real views, as each actor."""

import pytest
from django.urls import NoReverseMatch, reverse

from catalog import builder
from catalog.admin_builder import quiz_change_url_parts
from catalog.models import Choice, Course, Lesson, Quiz, reading_seconds
from catalog.tests.factories import (
    CourseFactory,
    LessonFactory,
    QuizFactory,
    SectionFactory,
    add_question,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
WORDS_450 = " ".join(["word"] * 450)  # 2.25 minutes of reading: "3 min read"


def url(course, action=""):
    name = "admin:catalog_course_curriculum" + (f"_{action}" if action else "")
    return reverse(name, args=[course.pk])


def make_quiz(section, *, title="Quiz", questions=1, published=False) -> Lesson:
    """A quiz lesson titled ``title`` with ``questions`` answerable single-answer
    questions (the shared factories' "Right"/"Wrong")."""
    lesson = LessonFactory(section=section, kind="quiz", title=title, is_published=published)
    quiz = QuizFactory(lesson=lesson)
    for _ in range(questions):
        add_question(quiz)
    return lesson


def make_article(section, *, title="Article", body=WORDS_450, published=False) -> Lesson:
    return LessonFactory(
        section=section, kind="article", title=title, body=body, is_published=published
    )


@pytest.fixture
def course(instructor):
    """A published course: "Basics" with one 12-second video lesson."""
    course = CourseFactory(instructor=instructor, title="Kinds course", with_thumbnail=True)
    basics = SectionFactory(course=course, title="Basics")
    LessonFactory(section=basics, title="Intro", with_video=True)
    course.publish()
    return course


def basics(course):
    return course.sections.get(title="Basics")


# --- Adding a lesson of each kind -----------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "said", "badge"),
    [
        ("video", "Added the draft lesson “New one”", "No video"),
        ("article", "Added the draft article “New one”", "No text yet"),
        ("quiz", "Added the draft quiz “New one”", "No questions yet"),
    ],
)
def test_add_lesson_of_each_kind(client, instructor, course, kind, said, badge):
    client.force_login(instructor)
    section = basics(course)
    data = {"section": section.pk, "title": "New one", "kind": kind}
    response = client.post(url(course, "add_lesson"), data, **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert said in page
    lesson = Lesson.objects.get(title="New one")
    assert (lesson.kind, lesson.is_published, lesson.section_id) == (kind, False, section.pk)
    assert Quiz.objects.filter(lesson=lesson).exists() == (kind == "quiz")
    row = page[page.index(f'id="lesson-{lesson.pk}"') :]
    row = row[: row.index("</li>")]
    label = {"video": "Video", "article": "Article", "quiz": "Quiz"}[kind]
    assert f'<span class="visually-hidden">{label}</span>' in row
    assert '<svg aria-hidden="true"' in row
    assert badge in row
    course.refresh_from_db()
    assert course.lesson_count == 1  # a draft counts for no one yet


def test_add_lesson_without_a_kind_adds_a_video(client, instructor, course):
    """A form from before lessons had kinds (a tab left open) still works."""
    client.force_login(instructor)
    response = client.post(
        url(course, "add_lesson"), {"section": basics(course).pk, "title": "Old"}
    )
    assert response.status_code == 302
    assert Lesson.objects.get(title="Old").kind == "video"


def test_add_lesson_with_an_unknown_kind_is_refused(client, instructor, course):
    client.force_login(instructor)
    section = basics(course)
    data = {"section": section.pk, "title": "Typed title", "kind": "podcast"}
    response = client.post(url(course, "add_lesson"), data, **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the kind of lesson: a video, an article or a quiz." in page
    assert 'value="Typed title" aria-invalid="true"' in page  # what was typed stays
    assert f'data-focus="section-{section.pk}-new-lesson"' in page
    assert not Lesson.objects.filter(title="Typed title").exists()
    response = client.post(url(course, "add_lesson"), data)  # without JavaScript
    assert response.status_code == 302
    assert "Choose the kind of lesson" in client.get(response["Location"]).content.decode()


def test_the_add_lesson_form_offers_the_three_kinds(client, instructor, course):
    client.force_login(instructor)
    page = client.get(url(course), **HTMX).content.decode()
    section = basics(course)
    assert f'<label for="section-{section.pk}-new-lesson-kind">Kind</label>' in page
    assert (
        f'<select id="section-{section.pk}-new-lesson-kind" name="kind">'
        '<option value="video">Video</option><option value="article">Article</option>'
        '<option value="quiz">Quiz</option></select>'
    ) in page


def test_a_quiz_lesson_never_exists_without_its_quiz(instructor, course, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Quiz.objects, "create", broken)
    with pytest.raises(RuntimeError):
        builder.add_lesson(section=basics(course), title="Half", kind="quiz")
    assert not Lesson.objects.filter(title="Half").exists()


def test_another_instructor_cannot_add_lessons_to_my_course(client, course, other_instructor):
    client.force_login(other_instructor)
    data = {"section": basics(course).pk, "title": "Intruder", "kind": "quiz"}
    assert client.post(url(course, "add_lesson"), data, **HTMX).status_code == 404
    assert client.post(url(course, "add_lesson"), data).status_code == 404
    assert not Lesson.objects.filter(title="Intruder").exists()
    assert not Quiz.objects.exists()


def test_their_section_in_my_course_is_404(client, instructor, other_instructor, course):
    theirs = SectionFactory(course=CourseFactory(instructor=other_instructor))
    client.force_login(instructor)
    data = {"section": theirs.pk, "title": "Sneaky", "kind": "article"}
    assert client.post(url(course, "add_lesson"), data).status_code == 404
    assert not Lesson.objects.filter(title="Sneaky").exists()


@pytest.mark.parametrize("who", ["anonymous", "student"])
def test_students_and_visitors_cannot_add_lessons(client, course, student, who):
    if who == "student":
        client.force_login(student)
    data = {"section": basics(course).pk, "title": "Nope", "kind": "article"}
    response = client.post(url(course, "add_lesson"), data, **HTMX)
    assert response.status_code == 302 and "login" in response["Location"]
    assert not Lesson.objects.filter(title="Nope").exists()


def test_staff_may_add_any_kind_to_any_course(client, staff, course):
    client.force_login(staff)
    data = {"section": basics(course).pk, "title": "By staff", "kind": "quiz"}
    assert client.post(url(course, "add_lesson"), data, **HTMX).status_code == 200
    assert Quiz.objects.filter(lesson__title="By staff").exists()


# --- The builder's rows ---------------------------------------------------------------------
def test_rows_show_each_kinds_state_and_link_to_its_editor(client, instructor, course):
    section = basics(course)
    article = make_article(section, title="Reading", published=True)
    empty = make_article(section, title="Blank", body="")
    quiz = make_quiz(section, title="Check", questions=3)
    client.force_login(instructor)
    page = client.get(url(course), **HTMX).content.decode()

    def row(lesson):
        start = page.index(f'id="lesson-{lesson.pk}"')
        return page[start : page.index("</li>", start)]

    assert "3 min read" in row(article) and "Write the article" in row(article)
    assert reverse("admin:catalog_lesson_change", args=[article.pk]) in row(article)
    assert "No text yet" in row(empty)
    assert "3 questions" in row(quiz)
    try:
        quiz_url = reverse("admin:catalog_quiz_change", args=[quiz.quiz.pk])
    except NoReverseMatch:  # the quiz editor is not installed: the lesson's page
        quiz_url = reverse("admin:catalog_lesson_change", args=[quiz.pk])
    assert f'<a class="curriculum-lesson-title" href="{quiz_url}">Check</a>' in row(quiz)
    assert "No video" not in row(quiz) + row(article)
    # The summary counts reading time with the videos: 12 s + 3 min.
    assert "3 min published" in page


def test_quiz_editor_url_follows_the_registered_admin(monkeypatch):
    parts = quiz_change_url_parts()
    try:
        expected = reverse("admin:catalog_quiz_change", args=[7])
    except NoReverseMatch:
        assert parts is None
    else:
        assert f"{parts[0]}/7/{parts[1]}" == expected


# --- Publishing, by kind ----------------------------------------------------------------------
def test_an_article_without_text_cannot_be_published(client, instructor, course):
    empty = make_article(basics(course), title="Blank", body="  \n ")
    client.force_login(instructor)
    data = {"lesson": empty.pk, "published": "1"}
    response = client.post(url(course, "publish"), data, **HTMX)
    assert response.status_code == 400
    assert "“Blank” has no text yet, so it cannot be published" in response.content.decode()
    empty.refresh_from_db()
    assert not empty.is_published


def test_an_article_with_text_publishes_with_its_reading_time(client, instructor, course):
    article = make_article(basics(course), title="Reading")
    client.force_login(instructor)
    response = client.post(url(course, "publish"), {"lesson": article.pk, "published": "1"}, **HTMX)
    assert response.status_code == 200 and "Published “Reading”" in response.content.decode()
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (2, 12 + 180)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("no questions", "The quiz has no questions yet."),
        ("two correct", "Question 1 needs exactly one correct answer."),
        ("one answer", "Question 1 needs at least two answers."),
    ],
)
def test_a_quiz_that_cannot_be_answered_cannot_be_published(
    client, instructor, course, breakage, message
):
    quiz = make_quiz(
        basics(course), title="Check", questions=0 if breakage == "no questions" else 1
    )
    choices = Choice.objects.filter(question__quiz__lesson=quiz)
    if breakage == "two correct":
        choices.update(is_correct=True)
    elif breakage == "one answer":
        choices.filter(is_correct=False).delete()
    client.force_login(instructor)
    response = client.post(url(course, "publish"), {"lesson": quiz.pk, "published": "1"}, **HTMX)
    assert response.status_code == 400
    page = response.content.decode()
    assert f"“Check” cannot be published yet: {message}" in page
    assert not Lesson.objects.get(pk=quiz.pk).is_published


def test_a_finished_quiz_publishes(client, instructor, course):
    quiz = make_quiz(basics(course), title="Check", questions=2)
    client.force_login(instructor)
    response = client.post(url(course, "publish"), {"lesson": quiz.pk, "published": "1"}, **HTMX)
    assert response.status_code == 200
    quiz.refresh_from_db()
    assert quiz.is_published and quiz.duration == 0
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (2, 12)


def test_publish_all_publishes_what_is_ready_and_names_the_rest(client, instructor, course):
    section = SectionFactory(course=course, title="Mixed")
    ready = [
        LessonFactory(section=section, title="Clip", with_video=True, is_published=False),
        make_article(section, title="Reading"),
        make_quiz(section, title="Good quiz"),
    ]
    LessonFactory(section=section, title="No clip", is_published=False)
    make_article(section, title="Blank", body=" ")
    make_quiz(section, title="Empty quiz", questions=0)
    client.force_login(instructor)
    response = client.post(
        url(course, "publish"), {"section": section.pk, "published": "1"}, **HTMX
    )
    page = response.content.decode()
    assert "Published 3 lessons of “Mixed”." in page
    assert "Still drafts, as they have no video yet: “No clip”." in page
    assert "Still drafts, as their article has no text yet: “Blank”." in page
    assert "Still drafts, as their quiz is not finished" in page and "“Empty quiz”" in page
    published = set(section.lessons.filter(is_published=True).values_list("pk", flat=True))
    assert published == {lesson.pk for lesson in ready}
    course.refresh_from_db()
    assert course.lesson_count == 4 and course.total_duration == 12 + 12 + 180


def test_bulk_video_upload_makes_video_lessons(instructor, course):
    """The drop zone stays video-only: what it makes is a video lesson."""
    from catalog.tests.factories import sample_video
    from catalog.uploads import accept_upload

    lesson = accept_upload(section=basics(course), file=sample_video("clip.mp4"), user=instructor)
    assert lesson.kind == Lesson.Kind.VIDEO and lesson.video and lesson.duration == 12


# --- The lesson's own admin page ------------------------------------------------------------
def lesson_page(client, lesson):
    return client.get(reverse("admin:catalog_lesson_change", args=[lesson.pk])).content.decode()


def test_the_lesson_page_edits_what_its_kind_has(client, instructor, course):
    section = basics(course)
    video = section.lessons.get(title="Intro")
    article = make_article(section, title="Reading", body="# Part one\n\nSome *text*.")
    quiz = make_quiz(section, title="Check")
    client.force_login(instructor)

    page = lesson_page(client, video)
    assert 'name="video"' in page and 'name="body"' not in page
    assert "Captions (WebVTT" in page and "Streaming" in page  # the video app's parts

    page = lesson_page(client, article)
    assert 'name="body"' in page and 'name="video"' not in page
    assert "Markdown: # for a heading" in page  # how to write it
    assert "<h2>Part one</h2>" in page and "<em>text</em>" in page  # the preview, as saved
    assert "1 min read" in page
    assert "Captions (WebVTT" not in page and "Streaming" not in page

    page = lesson_page(client, quiz)
    assert 'name="body"' not in page and 'name="video"' not in page
    assert "quiz" in page.lower()


def admin_data(lesson, **changes) -> dict:
    data = {
        "section": lesson.section_id,
        "title": lesson.title,
        "description": lesson.description,
        "body": lesson.body,
        "is_free_preview": "",
        "is_published": "on" if lesson.is_published else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_saving_an_article_counts_its_reading_time(client, instructor, course):
    article = make_article(basics(course), title="Reading", body="short", published=True)
    client.force_login(instructor)
    response = client.post(
        reverse("admin:catalog_lesson_change", args=[article.pk]),
        admin_data(article, body=" ".join(["word"] * 650)),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.duration == 4 * 60  # 650 words at 200 a minute, rounded up
    course.refresh_from_db()
    assert course.total_duration == 12 + 240


def test_a_published_article_cannot_lose_its_text(client, instructor, course):
    article = make_article(basics(course), title="Reading", published=True)
    client.force_login(instructor)
    response = client.post(
        reverse("admin:catalog_lesson_change", args=[article.pk]),
        admin_data(article, body="   "),
    )
    assert response.status_code == 200
    assert "A published article needs its text." in response.content.decode()
    article.refresh_from_db()
    assert article.body == WORDS_450


def test_a_posted_video_for_an_article_is_ignored(client, instructor, course):
    """The article's page has no video field; a forged one changes nothing."""
    from catalog.tests.factories import sample_video

    article = make_article(basics(course), title="Reading")
    client.force_login(instructor)
    client.post(
        reverse("admin:catalog_lesson_change", args=[article.pk]),
        {**admin_data(article), "video": sample_video()},
    )
    article.refresh_from_db()
    assert not article.video


def test_another_instructors_lesson_page_is_404(client, other_instructor, course):
    article = make_article(basics(course), title="Reading")
    client.force_login(other_instructor)
    response = client.get(reverse("admin:catalog_lesson_change", args=[article.pk]))
    assert response.status_code == 404


def test_the_section_page_keeps_article_rows_valid(client, instructor, course):
    """The section's admin page lists every lesson with a video field: an article row,
    published without a video, saves; its video field is disabled."""
    section = basics(course)
    article = make_article(section, title="Reading", published=True)
    client.force_login(instructor)
    page = client.get(reverse("admin:catalog_section_change", args=[section.pk])).content.decode()
    index = list(section.lessons.order_by("order")).index(article)
    assert f'name="lessons-{index}-video"' in page
    field = page[page.index(f'name="lessons-{index}-video"') - 200 :]
    assert "disabled" in field[: field.index(">", 200)]


# --- Reading time ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("words", "seconds"), [(0, 0), (1, 60), (200, 60), (201, 120), (1000, 300), (1001, 360)]
)
def test_reading_time_is_words_at_200_a_minute_rounded_up(words, seconds):
    assert reading_seconds(" ".join(["word"] * words)) == seconds


def test_markup_is_not_counted_as_words():
    assert reading_seconds("# \n\n- \n\n---\n\n```\n```") == 0


def test_the_duration_follows_the_body_on_every_save(course):
    article = make_article(basics(course), title="Reading", body="one two", published=True)
    assert article.duration == 60
    article.body = " ".join(["word"] * 401)
    article.save(update_fields=["body", "updated_at"])  # the duration goes with the body
    assert Lesson.objects.get(pk=article.pk).duration == 180
    course.refresh_from_db()
    assert course.total_duration == 12 + 180


def test_a_quiz_lasts_zero_seconds(course):
    quiz = LessonFactory(section=basics(course), kind="quiz", duration=500)
    assert Lesson.objects.get(pk=quiz.pk).duration == 0


# --- Query budget ---------------------------------------------------------------------------
def mixed_course(instructor, *, sections: int, per_kind: int) -> Course:
    """``sections`` sections, each with ``per_kind`` lessons of every kind."""
    course = CourseFactory(instructor=instructor)
    for s in range(sections):
        section = SectionFactory(course=course, title=f"Part {s}")
        for n in range(per_kind):
            LessonFactory(section=section, title=f"Video {s}.{n}")
            make_article(section, title=f"Article {s}.{n}", published=True)
            make_quiz(section, title=f"Quiz {s}.{n}", questions=2, published=True)
    return course


@pytest.mark.parametrize(("sections", "per_kind"), [(1, 1), (8, 6)])
def test_the_builder_costs_the_same_with_every_kind(
    client, instructor, sections, per_kind, django_assert_max_num_queries
):
    course = mixed_course(instructor, sections=sections, per_kind=per_kind)
    client.force_login(instructor)
    with django_assert_max_num_queries(8):
        fragment = client.get(url(course), **HTMX).content.decode()
    assert fragment.count("data-lesson=") == sections * per_kind * 3
    assert fragment.count("2 questions") == sections * per_kind
    assert fragment.count("3 min read") == sections * per_kind


def test_a_quiz_cannot_be_a_free_preview(client, instructor, course):
    """Its questions are for enrolled students: the builder offers no button and refuses a
    forged one; the lesson's admin page refuses the tick."""
    quiz = make_quiz(basics(course), title="Check", published=True)
    client.force_login(instructor)
    page = client.get(url(course)).content.decode()
    assert f'id="lesson-{quiz.pk}-preview"' not in page
    response = client.post(url(course, "preview"), {"lesson": quiz.pk, "free_preview": "1"}, **HTMX)
    assert response.status_code == 400
    assert "A quiz can&#x27;t be a free preview" in response.content.decode()
    response = client.post(
        reverse("admin:catalog_lesson_change", args=[quiz.pk]),
        admin_data(quiz, is_free_preview="on"),
    )
    assert response.status_code == 200  # the form again, with the message
    assert "A quiz can&#x27;t be a free preview" in response.content.decode()
    quiz.refresh_from_db()
    assert not quiz.is_free_preview
