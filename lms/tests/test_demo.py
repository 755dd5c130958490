"""The demo shows the product: the demo student has learning to continue and a
certificate, the courses have pictures, and loading the demo twice changes nothing."""

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from accounts.models import User
from catalog.models import Course
from learning.models import ActivityDay, Certificate, Enrollment, LessonProgress
from learning.tests.player_page import player_of
from lms.lib.integrity import run_checks
from payments.models import Coupon, Order
from reviews.models import Review

pytestmark = pytest.mark.django_db

STUDENT = "student@lectern.test"


@pytest.fixture
def demo():
    call_command("load_demo", stdout=io.StringIO())


def files_on_disk() -> list[str]:
    roots = [Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)]
    return sorted(str(path) for root in roots for path in root.rglob("*") if path.is_file())


def state() -> dict:
    """Every row the demo writes, with the fields that would move on a second run."""
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "password")),
        "courses": list(
            Course.objects.order_by("pk").values_list(
                "pk", "thumbnail", "enrollment_count", "rating_avg", "rating_count", "updated_at"
            )
        ),
        "enrollments": list(
            Enrollment.objects.order_by("pk").values_list(
                "pk", "user", "course", "completed_at", "completed_lessons"
            )
        ),
        "progress": list(
            LessonProgress.objects.order_by("pk").values_list(
                "pk", "position", "watched", "completed_at", "version", "updated_at"
            )
        ),
        "certificates": list(Certificate.objects.order_by("pk").values_list("pk", "code")),
        "activity": list(ActivityDay.objects.order_by("pk").values_list("pk", "user", "course")),
        "reviews": list(Review.objects.order_by("pk").values_list("pk", "updated_at")),
        "coupons": list(Coupon.objects.order_by("pk").values_list("pk", "code", "value")),
        "files": files_on_disk(),
    }


def test_loading_the_demo_twice_changes_nothing(demo):
    before = state()
    call_command("load_demo", stdout=io.StringIO())
    assert state() == before
    assert run_checks() == []  # the integrity check is clean, files included


def test_the_demo_student_has_learning_in_three_states(demo):
    student = User.objects.get(email=STUDENT)
    mine = {e.course.title: e for e in Enrollment.objects.filter(user=student)}
    assert set(mine) == {
        "Typography Essentials",
        "Statistics Without Tears",
        "Composition for Photographers",
    }

    # Completed by watching every lesson (not by ticking them), with the certificate.
    done = mine["Typography Essentials"]
    lessons = list(done.course.published_lessons())
    assert done.completed_at
    assert done.completed_lessons == done.course.lesson_count == len(lessons) == 5
    for progress in LessonProgress.objects.filter(user=student, lesson__in=lessons):
        assert progress.completed_at and not progress.completed_manually
        assert progress.watched_seconds >= progress.lesson.duration * settings.LESSON_COMPLETE_RATIO
    certificate = Certificate.objects.get(user=student)
    assert certificate.course == done.course and not certificate.is_revoked
    assert certificate.student_name == "Sam Student"
    assert certificate.instructor_name == "Theo Teacher"

    # Half-way: two lessons watched, the third started and to be resumed.
    half = mine["Statistics Without Tears"]
    assert half.completed_at is None and half.completed_lessons == 2
    ordered = list(half.course.published_lessons().order_by("section__order", "order"))
    started = LessonProgress.objects.get(user=student, lesson=ordered[2])
    assert started.position == 6 and started.watched == [[0, 6]] and not started.completed_at
    assert not LessonProgress.objects.filter(user=student, lesson__in=ordered[3:]).exists()

    # Enrolled, nothing played yet.
    new = mine["Composition for Photographers"]
    assert new.completed_lessons == 0
    assert not LessonProgress.objects.filter(user=student, lesson__section__course=new.course)

    # The dashboard's rollup: active today in the two courses played.
    active = ActivityDay.objects.filter(user=student).values_list("course__title", flat=True)
    assert set(active) == {"Typography Essentials", "Statistics Without Tears"}
    assert run_checks() == []


def test_the_demo_student_sees_it_at_first_login(demo, client):
    assert client.login(email=STUDENT, password="lectern-demo-2026")
    page = client.get(reverse("learning:my_learning")).content.decode()
    in_progress, completed = page.split('id="completed-heading"')
    # Most recent first: the half-way course, with "Continue"; then the one not started.
    assert in_progress.index("Statistics Without Tears") < in_progress.index(
        "Composition for Photographers"
    )
    assert "2 of 5 lessons" in in_progress and 'value="40"' in in_progress
    assert 'Continue<span class="visually-hidden"> Statistics Without Tears' in in_progress
    assert 'Start<span class="visually-hidden"> Composition for Photographers' in in_progress
    assert "Typography Essentials" in completed.split('id="certificates-heading"')[0]
    assert "Typography Essentials" not in in_progress
    certificate = Certificate.objects.get()
    assert certificate.get_absolute_url() in page

    # "Continue" reopens the lesson at the position played.
    half = Course.objects.get(title="Statistics Without Tears")
    lesson = half.published_lessons().order_by("section__order", "order")[2]
    response = client.get(reverse("learning:continue", args=[half.slug]))
    assert response.url == reverse("learning:lesson", args=[half.slug, lesson.pk])
    assert 'data-start="6.0"' in client.get(response.url).content.decode()

    verification = client.get(certificate.get_absolute_url()).content.decode()
    assert "Sam Student" in verification and "Typography Essentials" in verification


def test_demo_courses_have_generated_thumbnails(demo, django_capture_on_commit_callbacks):
    courses = Course.objects.all()
    assert courses.count() == 12
    pictures = set()
    for course in courses:
        assert re.fullmatch(rf"thumbnails/{course.slug}(_\w+)?\.webp", course.thumbnail.name)
        with course.thumbnail.open("rb") as handle:
            data = handle.read()
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "WEBP"
            assert image.size == settings.THUMBNAIL_SIZE == (960, 540)  # 16:9, 2× the card
        assert len(data) < 60_000
        pictures.add(data)
    assert len(pictures) == 12  # a picture per course, not one for all

    # Stored through the image field: the file follows its row, like an upload.
    course = courses.first()
    path = Path(course.thumbnail.path)
    with django_capture_on_commit_callbacks(execute=True):
        course.delete()
    assert not path.exists()


def test_cards_show_the_pictures_with_an_empty_alt_beside_the_title(demo, client):
    html = client.get(reverse("home")).content.decode()
    cards = re.findall(r'<a class="course-card-link".*?</a>', html, re.S)
    assert cards
    for card in cards:
        # The title is the link's text right beside the picture (which repeats it), so
        # the picture is decorative: a screen reader reads the title once.
        picture = r'<img class="course-thumb" src="/media/thumbnails/[^"]+\.webp" alt=""'
        assert re.search(picture, card)
        assert re.search(r'<h3 class="course-title">[^<]+</h3>', card)
    assert "course-thumb-placeholder" not in html


def test_the_demo_student_can_buy_a_paid_course_with_the_demo_coupon(demo, client, settings):
    """`make run` sells with the test provider; LECTERN50 halves Django from Zero (README)."""
    settings.PAYMENTS_PROVIDER = "test"
    course = Course.objects.get(title="Django from Zero to Deployed")
    assert course.price == 49
    client.force_login(User.objects.get(email=STUDENT))
    page = client.get(course.get_absolute_url() + "?coupon=LECTERN50").content.decode()
    assert "Buy for $24.50" in page
    paid = client.post(reverse("payments:checkout", args=[course.slug]), {"coupon": "LECTERN50"})
    pay_page = client.get(paid.url).content.decode()
    assert "Test payment — no real money" in pay_page and "Pay $24.50" in pay_page
    order = Order.objects.get(course=course)
    client.post(reverse("payments:test_pay", args=[order.pk]), {"card": "succeed"})
    assert Enrollment.objects.filter(user__email=STUDENT, course=course).exists()
    assert run_checks() == []


def test_demo_lessons_have_english_and_spanish_captions(demo, client):
    course = Course.objects.get(title="Python for Absolute Beginners")
    preview = course.published_lessons().order_by("section__order", "order").first()
    response = client.get(reverse("learning:preview", args=[course.slug, preview.pk]))
    player = player_of(response)
    tracks = player.captions
    assert [(track.language, track.default) for track in tracks] == [("en", True), ("es", False)]
    assert client.get(tracks[1].url)["Content-Type"] == "text/vtt; charset=utf-8"
    assert player.transcript.cues[0].text.startswith("[")


def test_the_main_demo_course_has_an_article_and_a_quiz(demo, client):
    """All three kinds of lesson show in the demo: the article renders (headings under the
    lesson's title, a list, code, a table, a link), the quiz can be published as written."""
    from catalog.models import Lesson
    from catalog.quizzes import quiz_problems

    course = Course.objects.get(title="Python for Absolute Beginners")
    lessons = course.published_lessons()
    assert set(lessons.values_list("kind", flat=True)) == {"article", "quiz", "video"}
    article = lessons.get(kind=Lesson.Kind.ARTICLE)
    assert article.duration >= 60  # its reading time
    quiz = lessons.get(kind=Lesson.Kind.QUIZ).quiz
    assert (quiz.pass_mark, quiz.max_attempts) == (70, 3)
    assert quiz_problems(quiz) == []
    kinds = set(quiz.questions.values_list("kind", flat=True))
    assert kinds == {"single", "multiple", "true_false"}
    assert all(quiz.questions.values_list("explanation", flat=True))

    page = client.get(course.get_absolute_url()).content.decode()
    assert "min read" in page and "4 questions" in page

    assert client.login(email=STUDENT, password="lectern-demo-2026")
    client.post(reverse("learning:enroll", args=[course.slug]))
    html = client.get(reverse("learning:lesson", args=[course.slug, article.pk])).content.decode()
    assert "<h2>Values have types</h2>" in html and '<pre tabindex="0"><code' in html
    assert 'href="https://docs.python.org/3/tutorial/introduction.html"' in html
    assert "<table>" in html and "<ol>" in html and "<ul>" in html
