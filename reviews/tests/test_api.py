"""The reviews API: the course page's list, my review, helpful marks, reports, replies.

Each endpoint as every actor, checked against what the web does in the same situation;
bad input, double submits, hidden and invisible reviews, and the counters after writes.
"""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.tests.api_client import ApiClient
from accounts.tests.factories import UserFactory
from catalog.tests.factories import published_course
from learning import services as learning
from reviews import services
from reviews.models import HelpfulVote, Review, ReviewReport

pytestmark = pytest.mark.django_db

API = "/api/v1"
ACTORS = ["anonymous", "student", "other_student", "instructor", "other_instructor", "staff"]


@pytest.fixture
def course(instructor, student):
    """A published course of ``instructor``'s that ``student`` is enrolled in."""
    course = published_course(instructor=instructor)
    learning.enroll(user=student, course=course)
    return course


def enrolled(course, **kwargs):
    user = UserFactory(**kwargs)
    learning.enroll(user=user, course=course)
    return user


def actor(request, name):
    """(user or None, an ApiClient as them)."""
    user = None if name == "anonymous" else request.getfixturevalue(name)
    return user, ApiClient(user)


def mine_url(course) -> str:
    return f"{API}/courses/{course.slug}/reviews/mine"


def rating(course) -> tuple:
    course.refresh_from_db()
    return (course.rating_avg, course.rating_count, course.rating_histogram)


def review_state() -> list:
    """Everything a refused write could have changed."""
    return [
        list(
            Review.objects.order_by("pk").values_list(
                "pk", "rating", "text", "helpful_count", "report_count", "reply", "is_hidden"
            )
        ),
        HelpfulVote.objects.count(),
        ReviewReport.objects.count(),
    ]


def web_review_ids(user, course, **params) -> list[int]:
    """The review ids the web's review list shows ``user``, in its order."""
    client = Client()
    if user is not None:
        client.force_login(user)
    page = client.get(reverse("reviews:list", args=[course.slug]), params).content.decode()
    return [int(pk) for pk in re.findall(r'id="review-(\d+)"', page)]


@pytest.fixture
def reviews(course, student, staff):
    """Three reviews by others (one hidden by staff, one marked helpful twice) and none by
    ``student`` yet."""
    visible, _ = services.save_review(user=enrolled(course), course=course, rating=5, text="Great")
    helpful, _ = services.save_review(user=enrolled(course), course=course, rating=3, text="Okay")
    hidden, _ = services.save_review(user=enrolled(course), course=course, rating=1, text="Ad")
    services.set_hidden(review=hidden, hidden=True, by=staff, reason="Advertising")
    for _ in range(2):
        services.toggle_helpful(review=helpful, user=UserFactory())
    return {"visible": visible, "helpful": helpful, "hidden": hidden}


# --- The list -------------------------------------------------------------------------------
@pytest.mark.parametrize("sort", ["newest", "helpful"])
@pytest.mark.parametrize("who", [*ACTORS, "author of the hidden review"])
def test_the_list_shows_what_the_course_page_shows(request, course, reviews, student, who, sort):
    services.save_review(user=student, course=course, rating=4, text="Mine")
    if who == "author of the hidden review":
        user, client = reviews["hidden"].user, ApiClient(reviews["hidden"].user)
    else:
        user, client = actor(request, who)
    response = client.get(f"{API}/courses/{course.slug}/reviews", {"sort": sort})
    assert response.status_code == 200
    body = response.json()
    ids = [item["id"] for item in body["results"]]
    assert ids == web_review_ids(user, course, sort=sort)
    assert body["count"] == len(ids)
    shown_hidden = reviews["hidden"].pk in ids
    assert shown_hidden == (who == "author of the hidden review")
    for item in body["results"]:
        assert item["is_mine"] == (user is not None and item["id"] == user_review_id(user))
        assert item["is_hidden"] == (item["id"] == reviews["hidden"].pk)
        if item["is_hidden"]:
            assert item["hidden_reason"] == "Advertising"
    assert body["rating"] == {"average": "4.00", "count": 3, "histogram": [0, 0, 1, 1, 1]}


def user_review_id(user) -> int | None:
    review = Review.objects.filter(user=user).first()
    return review and review.pk


def test_the_viewers_own_review_comes_first_flagged(course, reviews, student):
    own, _ = services.save_review(user=student, course=course, rating=2, text="Mine")
    body = ApiClient(student).get(f"{API}/courses/{course.slug}/reviews").json()
    first = body["results"][0]
    assert (first["id"], first["is_mine"], first["author"]["name"]) == (
        own.pk,
        True,
        student.profile.public_name,
    )
    assert [r["is_mine"] for r in body["results"][1:]] == [False, False]


def test_helpful_counts_and_the_viewers_marks(course, reviews, other_student):
    services.toggle_helpful(review=reviews["helpful"], user=other_student)
    results = ApiClient(other_student).get(f"{API}/courses/{course.slug}/reviews").json()["results"]
    by_id = {r["id"]: r for r in results}
    assert by_id[reviews["helpful"].pk]["helpful_count"] == 3
    assert by_id[reviews["helpful"].pk]["marked_helpful"] is True
    assert by_id[reviews["visible"].pk]["marked_helpful"] is False
    anonymous = ApiClient().get(f"{API}/courses/{course.slug}/reviews").json()["results"]
    assert all(r["marked_helpful"] is False for r in anonymous)


def test_pages(course, settings):
    for n in range(5):
        services.save_review(user=enrolled(course), course=course, rating=4, text=f"Review {n}")
    url = f"{API}/courses/{course.slug}/reviews"
    first = ApiClient().get(url, {"page_size": 2}).json()
    assert (first["count"], first["page"], first["pages"]) == (5, 1, 3)
    assert [r["text"] for r in first["results"]] == ["Review 4", "Review 3"]
    last = ApiClient().get(url, {"page_size": 2, "page": 3}).json()
    assert [r["text"] for r in last["results"]] == ["Review 0"]
    beyond = ApiClient().get(url, {"page_size": 2, "page": 4}).json()
    assert beyond["results"] == [] and beyond["count"] == 5


@pytest.mark.parametrize(
    "params", [{"sort": "best"}, {"page": 0}, {"page": "x"}, {"page_size": 101}, {"page": 10**30}]
)
def test_bad_list_parameters_are_refused(course, params):
    response = ApiClient().get(f"{API}/courses/{course.slug}/reviews", params)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("who", ACTORS)
def test_a_draft_courses_reviews_are_listed_to_those_who_see_it(request, course, reviews, who):
    course.unpublish()
    user, client = actor(request, who)
    response = client.get(f"{API}/courses/{course.slug}/reviews")
    web = Client()
    if user:
        web.force_login(user)
    web_status = web.get(reverse("reviews:list", args=[course.slug])).status_code
    assert response.status_code == web_status == (200 if who in ("instructor", "staff") else 404)


def test_unknown_course_and_bad_token(course):
    assert ApiClient().get(f"{API}/courses/no-such/reviews").status_code == 404
    bad = ApiClient(token="not-a-token").get(f"{API}/courses/{course.slug}/reviews")
    assert bad.status_code == 401  # a bad token is never silently anonymous


# --- My review --------------------------------------------------------------------------------
WEB_REFUSALS = {
    "other_student": "Only students enrolled in this course can review it.",
    "other_instructor": "Only students enrolled in this course can review it.",
    "staff": "Only students enrolled in this course can review it.",
    "instructor": "You cannot review your own course.",
}


@pytest.mark.parametrize("who", ACTORS)
def test_who_may_write_a_review_is_who_the_web_allows(request, course, who, instructor):
    learning.enroll(user=instructor, course=course)  # even enrolled, not in their own course
    user, client = actor(request, who)
    response = client.put(mine_url(course), {"rating": 4, "text": "Good"})
    if who == "anonymous":
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    elif who == "student":
        assert response.status_code == 201
        assert response.json()["rating"] == 4 and response.json()["is_mine"] is True
    else:
        assert response.status_code == 403
        assert response.json()["detail"] == WEB_REFUSALS[who]
        web = Client()
        web.force_login(user)
        page = web.post(
            reverse("reviews:submit", args=[course.slug]), {"rating": "4"}, follow=True
        ).content.decode()
        assert WEB_REFUSALS[who] in page
    assert Review.objects.count() == (1 if who == "student" else 0)


def test_write_edit_read_delete_and_the_rating_follows(course, student):
    client = ApiClient(student)
    created = client.put(mine_url(course), {"rating": 4, "text": "Clear and useful."})
    assert created.status_code == 201
    assert rating(course) == (Decimal("4.00"), 1, [0, 0, 0, 1, 0])
    catalog = client.get(f"{API}/courses/{course.slug}").json()
    assert (catalog["rating_avg"], catalog["rating_count"]) == ("4.00", 1)

    edited = client.put(mine_url(course), {"rating": 2})
    assert edited.status_code == 200 and edited.json()["id"] == created.json()["id"]
    assert edited.json()["text"] == ""  # PUT replaces the review: no text sent, none kept
    assert rating(course) == (Decimal("2.00"), 1, [0, 1, 0, 0, 0])

    got = client.get(mine_url(course))
    assert got.status_code == 200 and got.json()["rating"] == 2

    assert client.delete(mine_url(course)).status_code == 204
    assert rating(course) == (Decimal("0.00"), 0, [0, 0, 0, 0, 0])
    assert client.get(mine_url(course)).status_code == 404
    assert client.delete(mine_url(course)).status_code == 404


def test_a_double_submit_keeps_one_review(course, student):
    client = ApiClient(student)
    statuses = [client.put(mine_url(course), {"rating": 5}).status_code for _ in range(2)]
    assert statuses == [201, 200]
    assert Review.objects.filter(user=student).count() == 1
    assert rating(course)[1] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"rating": 0},
        {"rating": 6},
        {"rating": -1},
        {"rating": "5"},
        {"rating": None},
        {"rating": 4.5},
        {"rating": True},
        {"text": "no rating"},
        {"rating": 4, "text": "x" * 3001},
        {"rating": 4, "text": None},
        {"rating": 4, "text": "nul\x00byte"},
        {"rating": 4, "user": 1},
        {"rating": 4, "course": "other"},
        {"rating": 4, "helpful_count": 99},
        {"rating": 4, "is_hidden": False},
    ],
    ids=lambda body: repr(body)[:40],
)
def test_bad_input_is_refused_and_changes_nothing(course, student, body):
    client = ApiClient(student)
    client.put(mine_url(course), {"rating": 3, "text": "fine"})
    before = (review_state(), rating(course))
    response = client.put(mine_url(course), body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"]
    assert (review_state(), rating(course)) == before


def test_the_text_limit_is_the_web_forms(course, student):
    """The form strips the ends and allows 3,000 characters, like the page."""
    client = ApiClient(student)
    response = client.put(mine_url(course), {"rating": 4, "text": "  " + "x" * 2990 + "\n"})
    assert response.status_code == 201
    assert response.json()["text"] == "x" * 2990


def test_script_in_the_text_is_stored_and_returned_as_plain_text(course, student, other_student):
    script = '<script>alert("r")</script>\n<img src=x onerror=alert(1)>'
    ApiClient(student).put(mine_url(course), {"rating": 5, "text": script})
    assert Review.objects.get(user=student).text == script
    response = ApiClient(other_student).get(f"{API}/courses/{course.slug}/reviews")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.json()["results"][0]["text"] == script  # as written: no HTML, no escaping
    assert "&lt;" not in response.content.decode()


def test_my_hidden_review_is_mine_to_read_and_delete(course, reviews):
    author = reviews["hidden"].user
    client = ApiClient(author)
    got = client.get(mine_url(course)).json()
    assert (got["is_hidden"], got["hidden_reason"]) == (True, "Advertising")
    assert client.delete(mine_url(course)).status_code == 204
    assert not Review.objects.filter(pk=reviews["hidden"].pk).exists()
    assert rating(course)[1] == 2  # it was not counted, and still is not


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_my_review_of_a_course_i_can_no_longer_see_is_not_found(course, student, method):
    services.save_review(user=student, course=course, rating=4)
    course.unpublish()
    response = getattr(ApiClient(student), method)(mine_url(course), {"rating": 1})
    assert response.status_code == 404
    assert Review.objects.get(user=student).rating == 4


@pytest.mark.parametrize("who", ACTORS)
def test_mine_is_only_ever_the_callers_own(request, course, reviews, student, who):
    """GET and DELETE .../reviews/mine reach the caller's review and no one else's."""
    services.save_review(user=student, course=course, rating=4, text="Mine")
    before = review_state()
    _, client = actor(request, who)
    got, deleted = client.get(mine_url(course)), client.delete(mine_url(course))
    if who == "anonymous":
        assert (got.status_code, deleted.status_code) == (401, 401)
    elif who == "student":
        assert got.json()["text"] == "Mine" and deleted.status_code == 204
        assert not Review.objects.filter(user=student).exists()
        return
    else:
        assert (got.status_code, deleted.status_code) == (404, 404)
    assert review_state() == before


# --- Helpful marks ----------------------------------------------------------------------------
def helpful_url(review) -> str:
    return f"{API}/reviews/{review.pk}/helpful"


@pytest.mark.parametrize("who", [*ACTORS, "author"])
def test_who_may_mark_a_review_helpful(request, course, reviews, who):
    review = reviews["visible"]
    client = ApiClient(review.user) if who == "author" else actor(request, who)[1]
    marked = client.post(helpful_url(review))
    review.refresh_from_db()
    count_after_mark = review.helpful_count
    unmarked = client.delete(helpful_url(review))
    review.refresh_from_db()
    if who == "anonymous":
        assert (marked.status_code, unmarked.status_code) == (401, 401)
        assert count_after_mark == 0
    elif who == "author":
        assert (marked.status_code, unmarked.status_code) == (403, 403)
        assert marked.json()["detail"] == "You cannot vote on your own review."
        assert count_after_mark == 0
    else:  # anyone signed in who sees it, as on the page
        assert marked.json() == {"marked_helpful": True, "helpful_count": 1}
        assert unmarked.json() == {"marked_helpful": False, "helpful_count": 0}
        assert count_after_mark == 1
    assert review.helpful_count == 0 == HelpfulVote.objects.filter(review=review).count()


def test_marking_twice_counts_once_and_unmarking_twice_once(course, reviews, other_student):
    review = reviews["helpful"]  # already marked by two others
    client = ApiClient(other_student)
    for _ in range(2):
        response = client.post(helpful_url(review))
        assert response.json() == {"marked_helpful": True, "helpful_count": 3}
    assert HelpfulVote.objects.filter(review=review).count() == 3
    for _ in range(2):
        response = client.delete(helpful_url(review))
        assert response.json() == {"marked_helpful": False, "helpful_count": 2}
    review.refresh_from_db()
    assert review.helpful_count == 2 == HelpfulVote.objects.filter(review=review).count()


# --- Acting on a review the caller cannot see ------------------------------------------------
ACTIONS = [  # method, path under /reviews/{id}/, body
    ("post", "helpful", None),
    ("delete", "helpful", None),
    ("post", "reports", {"reason": "spam"}),
    ("put", "reply", {"text": "Thanks!"}),
    ("delete", "reply", None),
]


@pytest.mark.parametrize("method,path,body", ACTIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("who", ACTORS[1:])
def test_a_hidden_review_is_not_found_by_anyone_but_its_author(
    request, reviews, method, path, body, who
):
    hidden = reviews["hidden"]
    HelpfulVote.objects.create(review=hidden, user=request.getfixturevalue(who))
    before = review_state()
    _, client = actor(request, who)
    response = getattr(client, method)(f"{API}/reviews/{hidden.pk}/{path}", body)
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found."
    assert review_state() == before


@pytest.mark.parametrize("method,path,body", ACTIONS, ids=lambda v: str(v))
@pytest.mark.parametrize("who", ["student", "other_instructor"])
def test_a_draft_courses_review_is_not_found_by_those_who_cannot_see_the_course(
    request, course, reviews, method, path, body, who
):
    course.unpublish()
    before = review_state()
    _, client = actor(request, who)
    response = getattr(client, method)(f"{API}/reviews/{reviews['visible'].pk}/{path}", body)
    assert response.status_code == 404
    assert review_state() == before


@pytest.mark.parametrize("review_id", ["0", "999999", str(2**63), "1" + "0" * 30, "abc"])
def test_forged_review_ids(student, review_id):
    response = ApiClient(student).post(f"{API}/reviews/{review_id}/helpful")
    assert response.status_code in (404, 422)
    assert response.status_code == (422 if review_id == "abc" else 404)


# --- Reports ------------------------------------------------------------------------------------
def report_url(review) -> str:
    return f"{API}/reviews/{review.pk}/reports"


def test_report_once(course, reviews, other_student):
    review = reviews["visible"]
    client = ApiClient(other_student)
    first = client.post(report_url(review), {"reason": "abuse", "details": "rude"})
    assert first.status_code == 201
    assert first.json() == {"detail": "Thanks, staff will look at this review."}
    again = client.post(report_url(review), {"reason": "spam"})
    assert again.status_code == 200
    assert again.json()["detail"] == "You already reported this review; staff will look at it."
    (report,) = ReviewReport.objects.all()
    assert (report.reason, report.details) == ("abuse", "rude")
    review.refresh_from_db()
    assert review.report_count == 1


@pytest.mark.parametrize("who", [*ACTORS, "author"])
def test_who_may_report(request, course, reviews, who):
    review = reviews["visible"]
    client = ApiClient(review.user) if who == "author" else actor(request, who)[1]
    response = client.post(report_url(review), {"reason": "spam"})
    expected = {"anonymous": 401, "author": 403}.get(who, 201)
    assert response.status_code == expected
    review.refresh_from_db()
    assert review.report_count == (1 if expected == 201 else 0)


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "not-a-reason"},
        {},
        {"reason": "spam", "details": "Buy\r\nBcc: x"},
        {"reason": "spam", "details": "x" * 501},
        {"reason": "spam", "user": 1},
        {"reason": "spam", "review": 2},
    ],
    ids=lambda body: repr(body)[:40],
)
def test_a_bad_report_is_refused(course, reviews, other_student, body):
    response = ApiClient(other_student).post(report_url(reviews["visible"]), body)
    assert response.status_code == 422
    assert not ReviewReport.objects.exists()


@pytest.mark.parametrize("details", ["a\u2028b", "Buy\r\nBcc: x", "tab\tbed", "end\n"])
def test_report_details_are_one_line_with_the_web_forms_sentence(
    course, reviews, other_student, details
):
    response = ApiClient(other_student).post(
        report_url(reviews["visible"]), {"reason": "spam", "details": details}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "details",
            "message": "Use one line of text: no line breaks, tabs or other control characters.",
        }
    ]
    assert not ReviewReport.objects.exists()


# --- Replies ---------------------------------------------------------------------------------
def reply_url(review) -> str:
    return f"{API}/reviews/{review.pk}/reply"


@pytest.mark.parametrize("who", [*ACTORS, "author"])
def test_only_the_courses_instructor_replies(request, course, reviews, who):
    review = reviews["visible"]
    services.save_reply(review=review, user=course.instructor, text="First reply")
    client = ApiClient(review.user) if who == "author" else actor(request, who)[1]
    written = client.put(reply_url(review), {"text": "Thanks!"})
    review.refresh_from_db()
    reply_after_put = review.reply
    removed = client.delete(reply_url(review))
    review.refresh_from_db()
    if who == "instructor":
        assert written.status_code == 200 and written.json()["reply"]["text"] == "Thanks!"
        assert reply_after_put == "Thanks!"
        assert removed.status_code == 204 and review.reply == ""
    else:
        expected = 401 if who == "anonymous" else 403
        assert (written.status_code, removed.status_code) == (expected, expected)
        if who != "anonymous":
            assert written.json()["detail"] == (
                "Only the course's instructor can reply to its reviews."
            )
        assert reply_after_put == review.reply == "First reply"


def test_a_reply_is_edited_then_removed(course, reviews, instructor, student):
    review = reviews["visible"]
    client = ApiClient(instructor)
    client.put(reply_url(review), {"text": "Thanks for the feedback!"})
    client.put(reply_url(review), {"text": "Thanks, we improved lesson 2."})
    review.refresh_from_db()
    assert review.reply == "Thanks, we improved lesson 2." and review.replied_at
    listed = ApiClient(student).get(f"{API}/courses/{course.slug}/reviews").json()["results"]
    assert {r["id"]: r["reply"] for r in listed}[review.pk]["text"] == review.reply
    assert client.delete(reply_url(review)).status_code == 204
    review.refresh_from_db()
    assert (review.reply, review.replied_at) == ("", None)


@pytest.mark.parametrize("body", [{"text": "x" * 3001}, {}, {"text": None}, {"reply": "Hi"}])
def test_a_bad_reply_is_refused(course, reviews, instructor, body):
    response = ApiClient(instructor).put(reply_url(reviews["visible"]), body)
    assert response.status_code == 422
    reviews["visible"].refresh_from_db()
    assert reviews["visible"].reply == ""


# --- Counters stay right -----------------------------------------------------------------------
def test_the_integrity_check_is_clean_after_api_writes(course, reviews, student, other_student):
    writer = ApiClient(student)
    writer.put(mine_url(course), {"rating": 2, "text": "First"})
    writer.put(mine_url(course), {"rating": 5, "text": "Edited"})
    voter = ApiClient(other_student)
    voter.post(helpful_url(reviews["visible"]))
    voter.post(helpful_url(reviews["visible"]))
    voter.post(helpful_url(reviews["helpful"]))
    voter.delete(helpful_url(reviews["helpful"]))
    voter.post(report_url(reviews["visible"]), {"reason": "spam"})
    voter.post(report_url(reviews["visible"]), {"reason": "abuse"})
    writer.post(helpful_url(Review.objects.get(user=student)))  # refused: own review
    assert rating(course) == (Decimal("4.33"), 3, [0, 0, 1, 0, 2])
    out = StringIO()
    call_command("check_integrity", stdout=out)  # raises CommandError on any drift
    assert "No drift" in out.getvalue()


# --- Query budgets --------------------------------------------------------------------------
def many_reviews(course, n: int) -> None:
    for i in range(n):
        review, _ = services.save_review(
            user=enrolled(course), course=course, rating=i % 5 + 1, text=f"Review {i}"
        )
        if i % 2:
            services.save_reply(review=review, user=course.instructor, text="Thanks")


@pytest.mark.parametrize("size", [2, 20])
@pytest.mark.parametrize("who", ["anonymous", "student"])
def test_list_budget(request, course, size, who, django_assert_max_num_queries):
    many_reviews(course, size)
    _, client = actor(request, who)
    url = f"{API}/courses/{course.slug}/reviews"
    # the course, a COUNT, the page; signed in: the token's user and "may I review?"
    with django_assert_max_num_queries(3 if who == "anonymous" else 5):
        response = client.get(url, {"page_size": 100, "sort": "helpful"})
    assert len(response.json()["results"]) == size
