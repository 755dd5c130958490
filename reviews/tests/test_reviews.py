"""Reviews: who may review, the course rating under every change, moderation, replies."""

import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.models import Course
from catalog.tests.factories import published_course
from learning import services as learning
from reviews import services
from reviews.models import HelpfulVote, Review, ReviewReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor)


def enrolled(course, **kwargs):
    user = UserFactory(**kwargs)
    learning.enroll(user=user, course=course)
    return user


def post_review(client, course, **data):
    return client.post(reverse("reviews:submit", args=[course.slug]), data, follow=True)


def rating(course):
    course.refresh_from_db()
    return (course.rating_avg, course.rating_count, course.rating_histogram)


# --- Writing a review -------------------------------------------------------------------------
def test_enrolled_student_reviews_then_edits(client, course):
    student = enrolled(course)
    client.force_login(student)
    response = post_review(client, course, rating="4", text="Clear and useful.")
    assert "Thanks for your review!" in response.content.decode()
    assert rating(course) == (Decimal("4.00"), 1, [0, 0, 0, 1, 0])
    response = post_review(client, course, rating="2", text="On reflection, too basic.")
    assert "Your review was updated." in response.content.decode()
    assert Review.objects.filter(user=student, course=course).count() == 1
    assert rating(course) == (Decimal("2.00"), 1, [0, 1, 0, 0, 0])


def test_average_under_create_edit_delete_hide(course, staff):
    a, b, c = (enrolled(course) for _ in range(3))
    services.save_review(user=a, course=course, rating=5)
    services.save_review(user=b, course=course, rating=4)
    review_c, _ = services.save_review(user=c, course=course, rating=1)
    assert rating(course) == (Decimal("3.33"), 3, [1, 0, 0, 1, 1])
    services.save_review(user=c, course=course, rating=3)
    assert rating(course) == (Decimal("4.00"), 3, [0, 0, 1, 1, 1])
    services.set_hidden(review=review_c, hidden=True, by=staff, reason="Spam")
    assert rating(course) == (Decimal("4.50"), 2, [0, 0, 0, 1, 1])
    services.set_hidden(review=review_c, hidden=False, by=staff)
    assert rating(course)[1] == 3
    services.delete_review(review=Review.objects.get(user=a))
    assert rating(course) == (Decimal("3.50"), 2, [0, 0, 1, 1, 0])


@pytest.mark.parametrize("actor", ["student", "other_instructor"])
def test_only_enrolled_students_may_review(client, request, actor, course):
    client.force_login(request.getfixturevalue(actor))
    response = post_review(client, course, rating="5")
    assert "Only students enrolled in this course can review it." in response.content.decode()
    assert not Review.objects.exists()


def test_the_instructor_cannot_review_their_own_course(instructor, course):
    learning.enroll(user=instructor, course=course)
    with pytest.raises(services.ReviewRefused):
        services.save_review(user=instructor, course=course, rating=5)


def test_anonymous_review_goes_to_login(client, course):
    response = client.post(reverse("reviews:submit", args=[course.slug]), {"rating": "5"})
    assert response.status_code == 302 and reverse("account_login") in response.url
    assert not Review.objects.exists()


@pytest.mark.parametrize("value", ["0", "6", "-1", "five", "4.5", ""])
def test_bad_ratings_are_refused_and_change_nothing(client, course, value):
    student = enrolled(course)
    services.save_review(user=student, course=course, rating=3, text="fine")
    client.force_login(student)
    response = post_review(client, course, rating=value, text="changed")
    assert "Choose a rating from 1 to 5 stars." in response.content.decode()
    review = Review.objects.get(user=student)
    assert (review.rating, review.text) == (3, "fine")
    assert rating(course)[0] == Decimal("3.00")


def test_rating_is_checked_by_the_database_too(course):
    review, _ = services.save_review(user=enrolled(course), course=course, rating=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(rating=6)


def test_overlong_text_is_refused(client, course):
    client.force_login(enrolled(course))
    response = post_review(client, course, rating="5", text="x" * 3001)
    assert "at most 3000 characters" in response.content.decode()
    assert not Review.objects.exists()


def test_script_in_review_and_reply_is_shown_as_text(client, course, instructor):
    student = enrolled(course)
    review, _ = services.save_review(
        user=student, course=course, rating=5, text='<script>alert("r")</script>'
    )
    services.save_reply(review=review, user=instructor, text="<img src=x onerror=alert(2)>")
    page = client.get(course.get_absolute_url()).content.decode()
    assert '<script>alert("r")</script>' not in page
    assert "&lt;script&gt;alert(&quot;r&quot;)&lt;/script&gt;" in page
    assert "<img src=x onerror" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_delete_only_your_own_review(client, course):
    author, other = enrolled(course), enrolled(course)
    review, _ = services.save_review(user=author, course=course, rating=5)
    client.force_login(other)
    client.post(reverse("reviews:delete", args=[review.pk]))
    assert Review.objects.filter(pk=review.pk).exists()
    client.force_login(author)
    response = client.post(reverse("reviews:delete", args=[review.pk]), follow=True)
    assert "Your review was deleted." in response.content.decode()
    assert rating(course)[1] == 0


# --- The course page ------------------------------------------------------------------------
def test_course_page_shows_summary_distribution_and_own_review_first(client, course):
    me = enrolled(course)
    for stars in (5, 5, 4):
        services.save_review(user=enrolled(course), course=course, rating=stars, text=f"{stars}!")
    services.save_review(user=me, course=course, rating=3, text="Mine")
    client.force_login(me)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "4.3" in page and "4 ratings" in page
    assert 'aria-label="5 stars: 50 %"' in page and 'aria-label="1 star: 0 %"' in page
    assert page.index("Your review") < page.index("5!")
    assert "Edit your review" in page


def test_more_reviews_pages_through_htmx(client, course, settings):
    settings.REVIEWS_PAGE_SIZE = 2
    for n in range(5):
        services.save_review(user=enrolled(course), course=course, rating=4, text=f"Review {n}")
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Review 4" in page and "Review 3" in page and "Review 2" not in page
    url = reverse("reviews:list", args=[course.slug])
    fragment = client.get(url, {"page": 2}, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment
    assert "Review 2" in fragment and "Review 1" in fragment and "More reviews" in fragment
    last = client.get(url, {"page": 3}, HTTP_HX_REQUEST="true").content.decode()
    assert "Review 0" in last and "More reviews" not in last
    full = client.get(url, {"page": 2}).content.decode()
    assert "<html" in full and "Review 2" in full


def test_most_helpful_sort(client, course):
    first, second = enrolled(course), enrolled(course)
    services.save_review(user=first, course=course, rating=4, text="Older but helpful")
    helpful = Review.objects.get(user=first)
    services.save_review(user=second, course=course, rating=4, text="Newer")
    services.toggle_helpful(review=helpful, user=enrolled(course))
    url = reverse("reviews:list", args=[course.slug])
    newest = client.get(url).content.decode()
    assert newest.index("Newer") < newest.index("Older but helpful")
    by_help = client.get(url, {"sort": "helpful"}).content.decode()
    assert by_help.index("Older but helpful") < by_help.index("Newer")


# --- Reports, helpful votes, replies --------------------------------------------------------
def test_report_once_per_person(client, course):
    review, _ = services.save_review(user=enrolled(course), course=course, rating=1, text="Bad")
    reporter = UserFactory()
    client.force_login(reporter)
    url = reverse("reviews:report", args=[review.pk])
    first = client.post(url, {"reason": "abuse", "details": "rude"}, follow=True)
    assert "staff will look at this review" in first.content.decode()
    again = client.post(url, {"reason": "spam"}, follow=True)
    assert "You already reported this review" in again.content.decode()
    assert ReviewReport.objects.count() == 1
    review.refresh_from_db()
    assert review.report_count == 1
    client.post(url, {"reason": "not-a-reason"})
    assert ReviewReport.objects.count() == 1


@pytest.mark.parametrize(
    "data,message",
    [
        ({"reason": "not-a-reason"}, "Choose why you are reporting this review."),
        ({"reason": "spam", "details": "Buy\r\nBcc: x"}, "no line breaks, tabs or other"),
    ],
)
def test_a_bad_report_is_refused_with_a_message(client, course, data, message):
    review, _ = services.save_review(user=enrolled(course), course=course, rating=1, text="Bad")
    client.force_login(UserFactory())
    response = client.post(reverse("reviews:report", args=[review.pk]), data, follow=True)
    assert "Your report was not sent: " in response.content.decode()
    assert message in response.content.decode()
    review.refresh_from_db()
    assert review.report_count == 0 and not ReviewReport.objects.exists()


def test_the_report_form_offers_every_reason_the_model_accepts(client, course):
    services.save_review(user=enrolled(course), course=course, rating=2, text="Meh")
    client.force_login(UserFactory())
    page = client.get(course.get_absolute_url()).content.decode()
    for value, label in ReviewReport.Reason.choices:
        assert f'<option value="{value}">{label}</option>' in page


def test_authors_cannot_report_or_upvote_their_own_review(client, course):
    author = enrolled(course)
    review, _ = services.save_review(user=author, course=course, rating=5)
    client.force_login(author)
    client.post(reverse("reviews:report", args=[review.pk]), {"reason": "spam"})
    client.post(reverse("reviews:helpful", args=[review.pk]))
    review.refresh_from_db()
    assert (review.report_count, review.helpful_count) == (0, 0)


def test_helpful_toggles_and_counts_once(client, course):
    review, _ = services.save_review(user=enrolled(course), course=course, rating=5)
    voter = UserFactory()
    client.force_login(voter)
    url = reverse("reviews:helpful", args=[review.pk])
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="true"' in response.content.decode() and "(1)" in response.content.decode()
    client.post(url)
    review.refresh_from_db()
    assert review.helpful_count == 0 and not HelpfulVote.objects.exists()


def test_only_the_courses_instructor_replies(client, course, instructor, other_instructor):
    review, _ = services.save_review(user=enrolled(course), course=course, rating=3)
    url = reverse("reviews:reply", args=[review.pk])
    for outsider in (other_instructor, review.user):
        client.force_login(outsider)
        client.post(url, {"reply": "Sneaky"})
    review.refresh_from_db()
    assert review.reply == ""
    client.force_login(instructor)
    client.post(url, {"reply": "Thanks for the feedback!"})
    client.post(url, {"reply": "Thanks, we improved lesson 2."})  # one reply, edited
    review.refresh_from_db()
    assert review.reply == "Thanks, we improved lesson 2." and review.replied_at
    assert "Reply from the instructor" in client.get(course.get_absolute_url()).content.decode()


# --- Actions see what the course page shows ------------------------------------------------
ACTIONS = {  # name: the POST data a real form sends
    "helpful": {},
    "report": {"reason": "spam", "details": "advert"},
    "reply": {"reply": "Thanks!"},
    "delete": {},
}


def review_state(review) -> tuple:
    """Everything an action could change about ``review``."""
    review = Review.objects.filter(pk=review.pk).first()
    return (
        review and (review.helpful_count, review.report_count, review.reply),
        HelpfulVote.objects.count(),
        ReviewReport.objects.count(),
    )


@pytest.fixture
def hidden_review(course, staff, other_student):
    """A review staff hid, on a published course ``other_student`` is enrolled in too."""
    learning.enroll(user=other_student, course=course)
    review, _ = services.save_review(user=enrolled(course), course=course, rating=1, text="Ad")
    services.set_hidden(review=review, hidden=True, by=staff, reason="Advertising")
    return review


@pytest.fixture
def draft_review(course, other_student):
    """A visible review of a course its instructor has taken back to draft."""
    learning.enroll(user=other_student, course=course)
    review, _ = services.save_review(user=enrolled(course), course=course, rating=4, text="Good")
    course.unpublish()
    return review


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    "actor", ["student", "other_student", "instructor", "other_instructor", "staff"]
)
def test_a_hidden_review_is_not_found_by_anyone_but_its_author(
    client, request, hidden_review, action, actor
):
    """The course page shows a hidden review to its author only (staff moderate it in the
    admin), so no one else can vote on, report, reply to or delete it."""
    before = review_state(hidden_review)
    client.force_login(request.getfixturevalue(actor))
    response = client.post(reverse(f"reviews:{action}", args=[hidden_review.pk]), ACTIONS[action])
    assert response.status_code == 404
    assert review_state(hidden_review) == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ["student", "other_student", "author", "other_instructor"])
def test_a_review_of_a_draft_course_is_not_found_by_those_who_cannot_see_the_course(
    client, request, draft_review, action, actor
):
    before = review_state(draft_review)
    user = draft_review.user if actor == "author" else request.getfixturevalue(actor)
    client.force_login(user)
    response = client.post(reverse(f"reviews:{action}", args=[draft_review.pk]), ACTIONS[action])
    assert response.status_code == 404
    assert review_state(draft_review) == before


def test_those_who_see_a_draft_course_still_act_on_its_reviews(
    client, draft_review, instructor, staff
):
    client.force_login(instructor)
    client.post(reverse("reviews:reply", args=[draft_review.pk]), {"reply": "Thanks!"})
    client.force_login(staff)
    client.post(reverse("reviews:helpful", args=[draft_review.pk]))
    client.post(reverse("reviews:report", args=[draft_review.pk]), {"reason": "spam"})
    draft_review.refresh_from_db()
    assert (draft_review.reply, draft_review.helpful_count, draft_review.report_count) == (
        "Thanks!",
        1,
        1,
    )


def test_the_author_still_deletes_their_hidden_review(client, course, hidden_review):
    client.force_login(hidden_review.user)
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Staff hid this review" in page  # the page shows it to them ...
    response = client.post(reverse("reviews:delete", args=[hidden_review.pk]), follow=True)
    assert "Your review was deleted." in response.content.decode()  # ... so they may act on it
    assert not Review.objects.filter(pk=hidden_review.pk).exists()


# --- Moderation ---------------------------------------------------------------------------------
def test_staff_hide_with_a_reason_in_the_admin(client, course, staff):
    author = enrolled(course)
    review, _ = services.save_review(user=author, course=course, rating=1, text="Spam spam")
    services.save_review(user=enrolled(course), course=course, rating=5, text="Great")
    changelist = reverse("admin:reviews_review_changelist")
    client.force_login(staff)
    asked = client.post(changelist, {"action": "hide", "_selected_action": [review.pk]})
    assert "Reason (shown to the author)" in asked.content.decode()
    done = client.post(
        changelist,
        {"action": "hide", "_selected_action": [review.pk], "apply": "1", "reason": "Advertising"},
        follow=True,
    )
    assert "Hide reviews: 1 changed." in done.content.decode()
    assert rating(course)[:2] == (Decimal("5.00"), 1)
    client.logout()
    assert "Spam spam" not in client.get(course.get_absolute_url()).content.decode()
    client.force_login(author)
    mine = client.get(course.get_absolute_url()).content.decode()
    assert "Spam spam" in mine and "Staff hid this review: Advertising" in mine
    client.force_login(staff)
    client.post(changelist, {"action": "unhide", "_selected_action": [review.pk]})
    assert rating(course)[:2] == (Decimal("3.00"), 2)


def test_a_hide_reason_with_a_control_character_is_refused(client, course, staff):
    # Line breaks typed in the reason box become spaces (reviews/tests/test_admin.py);
    # other control characters (an escape, a bell) are refused as in every one-line field.
    review, _ = services.save_review(user=enrolled(course), course=course, rating=1, text="Ad")
    client.force_login(staff)
    response = client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "hide", "_selected_action": [review.pk], "apply": "1", "reason": "Ad\x1bX"},
    )
    assert "no line breaks, tabs or other control characters" in response.content.decode()
    review.refresh_from_db()
    assert not review.is_hidden and review.hidden_reason == ""


def test_moderation_list_shows_reported_first(client, course, staff):
    quiet, _ = services.save_review(user=enrolled(course), course=course, rating=4, text="Quiet")
    loud, _ = services.save_review(user=enrolled(course), course=course, rating=1, text="Loud")
    for _ in range(2):
        services.report_review(review=loud, user=UserFactory(), reason="abuse")
    client.force_login(staff)
    response = client.get(reverse("admin:reviews_review_changelist"))
    assert list(response.context["cl"].result_list)[:2] == [loud, quiet]


@pytest.mark.parametrize("actor", ["instructor", "student", "other_instructor"])
def test_only_staff_moderate(client, request, actor, course):
    review, _ = services.save_review(user=enrolled(course), course=course, rating=1)
    user = request.getfixturevalue(actor)
    client.force_login(user)
    changelist = reverse("admin:reviews_review_changelist")
    assert client.get(changelist).status_code in (302, 403)
    client.post(
        changelist,
        {"action": "hide", "_selected_action": [review.pk], "apply": "1", "reason": "mine"},
    )
    review.refresh_from_db()
    assert not review.is_hidden
    with pytest.raises(services.ReviewRefused):
        services.set_hidden(review=review, hidden=True, by=user, reason="no")


# --- Drift and races --------------------------------------------------------------------------
def test_the_integrity_check_reports_and_fixes_rating_drift(course):
    services.save_review(user=enrolled(course), course=course, rating=4)
    call_command("check_integrity", "--only", "ratings", stdout=StringIO())  # no drift
    Course.objects.filter(pk=course.pk).update(rating_avg=Decimal("1.00"), rating_count=7)
    with pytest.raises(CommandError, match="1 item"):
        call_command("check_integrity", "--only", "ratings", stdout=StringIO())
    out = StringIO()
    call_command("check_integrity", "--only", "ratings", "--fix", stdout=out)
    assert "fixed" in out.getvalue()
    assert rating(course)[:2] == (Decimal("4.00"), 1)


@pytest.mark.django_db(transaction=True)
def test_concurrent_reviews_keep_the_average_right():
    if connection.vendor != "postgresql":
        pytest.skip("a real race needs PostgreSQL (CI's second run); SQLite serialises writers")
    course = published_course()
    students = [enrolled(course) for _ in range(6)]
    barrier = threading.Barrier(len(students))

    def review(user, stars):
        try:
            barrier.wait()
            services.save_review(user=user, course=Course.objects.get(pk=course.pk), rating=stars)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=review, args=(user, n % 5 + 1)) for n, user in enumerate(students)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert rating(course) == (Decimal("2.67"), 6, [2, 1, 1, 1, 1])  # 16 / 6


def test_deleting_an_account_keeps_ratings_and_counters_right(client, course):
    from accounts.tests.factories import PASSWORD

    leaver, stayer = enrolled(course), enrolled(course)
    services.save_review(user=leaver, course=course, rating=1, text="Leaving")
    kept, _ = services.save_review(user=stayer, course=course, rating=5, text="Staying")
    services.toggle_helpful(review=kept, user=leaver)
    services.report_review(review=kept, user=leaver, reason="spam")
    client.force_login(leaver)
    client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert rating(course) == (Decimal("5.00"), 1, [0, 0, 0, 0, 1])
    kept.refresh_from_db()
    assert (kept.helpful_count, kept.report_count) == (0, 0)
