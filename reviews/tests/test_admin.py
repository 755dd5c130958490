"""Staff deleting reviews and reports in the admin: ratings and report counts follow."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from catalog.tests.factories import published_course
from learning import services as learning
from reviews import services
from reviews.models import Review, ReviewReport

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor)


def reviewed(course, *ratings) -> list[Review]:
    reviews = []
    for stars in ratings:
        user = UserFactory()
        learning.enroll(user=user, course=course)
        reviews.append(services.save_review(user=user, course=course, rating=stars)[0])
    return reviews


def delete_page(client, obj):
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk])
    return client.post(url, {"post": "yes"})


def delete_selected(client, model, objects):
    meta = model._meta
    return client.post(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        {"action": "delete_selected", "_selected_action": [o.pk for o in objects], "post": "yes"},
    )


def rating(course):
    course.refresh_from_db()
    return (course.rating_avg, course.rating_count, course.rating_histogram)


def test_deleting_a_review_in_the_admin_recomputes_the_rating(client, staff, course):
    *_, one = reviewed(course, 5, 4, 1)
    client.force_login(staff)
    assert delete_page(client, one).status_code == 302
    assert rating(course) == (Decimal("4.50"), 2, [0, 0, 0, 1, 1])
    assert rating(course)[1] == Review.objects.filter(course=course).count()


def test_bulk_deleting_reviews_in_the_admin_recomputes_every_rating(
    client, staff, course, instructor
):
    other = published_course(instructor=instructor)
    mine = reviewed(course, 5, 2, 3)
    theirs = reviewed(other, 4, 4)
    client.force_login(staff)
    response = delete_selected(client, Review, [mine[1], mine[2], theirs[0]])
    assert response.status_code == 302
    assert rating(course) == (Decimal("5.00"), 1, [0, 0, 0, 0, 1])
    assert rating(other) == (Decimal("4.00"), 1, [0, 0, 0, 1, 0])


def report_counts() -> list[tuple[int, int]]:
    return [
        (review.report_count, review.reports.count()) for review in Review.objects.order_by("pk")
    ]


def test_deleting_reports_in_the_admin_lowers_the_report_counts(client, staff, course):
    first, second = reviewed(course, 1, 2)
    reporters = [UserFactory() for _ in range(3)]
    for reporter in reporters:
        services.report_review(review=first, user=reporter, reason="spam")
    services.report_review(review=second, user=reporters[0], reason="abuse")
    assert report_counts() == [(3, 3), (1, 1)]
    client.force_login(staff)

    response = delete_page(client, ReviewReport.objects.filter(review=first).first())
    assert response.status_code == 302
    assert report_counts() == [(2, 2), (1, 1)]

    response = delete_selected(client, ReviewReport, ReviewReport.objects.all())
    assert response.status_code == 302
    assert report_counts() == [(0, 0), (0, 0)]


# --- The "Hide reviews" action's page ------------------------------------------------------
def hide_page(client, reviews):
    return client.post(
        reverse("admin:reviews_review_changelist"),
        {"action": "hide", "_selected_action": [review.pk for review in reviews]},
    )


def written(course, *texts) -> list[Review]:
    reviews = []
    for text in texts:
        user = UserFactory()
        learning.enroll(user=user, course=course)
        reviews.append(services.save_review(user=user, course=course, rating=2, text=text)[0])
    return reviews


def test_hide_page_shows_the_text_of_each_selected_review(client, staff, course):
    spam, rude, _kept = written(
        course, "Buy <b>cheap</b> pills\nat example.com", "You are all idiots", "Lovely course"
    )
    (silent,) = reviewed(course, 1)
    client.force_login(staff)
    page = hide_page(client, [spam, rude, silent]).content.decode()
    # What staff are about to hide, as written (escaped, line breaks kept), not only
    # "2★ by … on …": the decision is about the words.
    assert "Buy &lt;b&gt;cheap&lt;/b&gt; pills<br>at example.com" in page
    assert "You are all idiots" in page
    assert "(rating only, no text)" in page
    assert "Lovely course" not in page  # not selected
    assert str(spam) in page  # who wrote it, where


def test_hide_page_has_one_heading_and_a_labelled_multi_line_reason_box(client, staff, course):
    review = written(course, "Spam")[0]
    client.force_login(staff)
    page = hide_page(client, [review]).content.decode()
    assert re.findall(r"<h1\b[^>]*>(.*?)</h1>", page) == ["Hide reviews"]
    box = re.search(r"<textarea\b[^>]*>", page)
    assert box and 'name="reason"' in box[0] and 'id="id_reason"' in box[0]
    assert 'maxlength="300"' in box[0] and 'rows="' in box[0]
    assert '<label for="id_reason">Reason (shown to the author):</label>' in page
    assert '<input type="text" name="reason"' not in page


@pytest.mark.parametrize("selected", [2, 20])
def test_hide_page_query_budget(client, staff, course, selected, django_assert_max_num_queries):
    reviews = written(course, *[f"Review {n}" for n in range(selected)])
    client.force_login(staff)
    with django_assert_max_num_queries(6):  # the same at 2 and 20: no query per review
        page = hide_page(client, reviews).content.decode()
    assert all(f"Review {n}" in page for n in range(selected))


def test_line_breaks_typed_in_the_reason_box_become_spaces(client, staff, course):
    review = written(course, "Spam")[0]
    client.force_login(staff)
    client.post(
        reverse("admin:reviews_review_changelist"),
        {
            "action": "hide",
            "_selected_action": [review.pk],
            "apply": "1",
            "reason": "Advertising.\r\n\r\nSee the guidelines,\r\nsection 2. ",
        },
    )
    review.refresh_from_db()
    # The reason is shown inside one sentence to the author: one line, whatever was typed.
    assert review.is_hidden
    assert review.hidden_reason == "Advertising. See the guidelines, section 2."
