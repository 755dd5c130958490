"""The test provider's pay page, its two cards, and the return page: the whole flow
through real views, and who may open what."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from catalog.models import Lesson
from learning.models import Enrollment
from payments.models import Order
from payments.tests.factories import paid_course

pytestmark = pytest.mark.django_db


def start(client, user, course, **data) -> Order:
    client.force_login(user)
    client.post(reverse("payments:checkout", args=[course.slug]), data)
    return Order.objects.filter(buyer=user).latest("pk")


def pay_url(order):
    return reverse("payments:pay", args=[order.pk])


def card_url(order):
    return reverse("payments:test_pay", args=[order.pk])


def return_url(order):
    return reverse("payments:return", args=[order.pk])


def test_the_pay_page_is_a_clearly_labelled_test_payment(client, student):
    order = start(client, student, paid_course("49.00", title="Sailing"))
    page = client.get(pay_url(order)).content.decode()
    assert '<h2 id="test-payment-heading">Test payment — no real money</h2>' in page
    assert "Pay $49.00 with the test card that succeeds" in page and "4242 4242 4242 4242" in page
    assert "Try the test card that is declined" in page and "4000 0000 0000 0002" in page
    assert f'action="{card_url(order)}"' in page and "csrfmiddlewaretoken" in page


def test_the_succeeding_card_enrols_and_the_player_opens(
    client, student, django_capture_on_commit_callbacks
):
    course = paid_course("49.00", title="Sailing")
    order = start(client, student, course)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(card_url(order), {"card": "succeed"})
    assert response.url == return_url(order)
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_at
    enrollment = Enrollment.objects.get(user=student, course=course)
    assert enrollment.price_paid == Decimal("49.00")
    page = client.get(return_url(order)).content.decode()
    assert "You are enrolled" in page and "Processing" not in page
    assert reverse("learning:continue", args=[course.slug]) in page
    player = client.get(reverse("learning:continue", args=[course.slug]), follow=True)
    first = Lesson.objects.filter(section__course=course).order_by("order").first()
    assert player.redirect_chain[-1][0] == reverse("learning:lesson", args=[course.slug, first.pk])
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["You are enrolled in “Sailing”", "Your Lectern receipt for “Sailing”"]
    receipt = next(m for m in mail.outbox if "receipt" in m.subject)
    assert receipt.to == [student.email] and "49.00 USD" in receipt.body
    assert f"http://testserver{order.get_absolute_url()}" in receipt.body
    assert client.get(order.get_absolute_url()).status_code == 200  # the email's link works


def test_a_double_clicked_pay_button_enrols_once_and_sends_one_receipt(
    client, student, django_capture_on_commit_callbacks
):
    course = paid_course()
    order = start(client, student, course)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(card_url(order), {"card": "succeed"})
        second = client.post(card_url(order), {"card": "succeed"})
    assert second.url == return_url(order)
    assert Enrollment.objects.filter(user=student).count() == 1
    course.refresh_from_db()
    assert course.enrollment_count == 1
    assert len([m for m in mail.outbox if "receipt" in m.subject]) == 1


def test_the_declined_card_leaves_the_student_unenrolled_and_trying_again_works(client, student):
    course = paid_course("49.00")
    order = start(client, student, course)
    client.post(card_url(order), {"card": "decline"})
    order.refresh_from_db()
    assert order.status == "failed" and "declined" in order.failure_reason
    assert not Enrollment.objects.exists()
    page = client.get(return_url(order)).content.decode()
    assert "The payment did not go through" in page and "declined" in page
    retry = reverse("payments:checkout", args=[course.slug])
    assert f'href="{retry}">Try again</a>' in page
    assert client.get(pay_url(order)).url == return_url(order)  # a failed order is done
    # The declined card again does nothing: the order is no longer pending.
    client.post(card_url(order), {"card": "succeed"})
    order.refresh_from_db()
    assert order.status == "failed"

    client.post(retry)
    again = Order.objects.latest("pk")
    assert again.pk != order.pk and again.status == "pending"
    client.post(card_url(again), {"card": "succeed"})
    assert Enrollment.objects.filter(user=student, course=course).exists()
    player = client.get(reverse("learning:continue", args=[course.slug]))
    assert "/lessons/" in player.url


def test_try_again_keeps_the_coupon(client, student):
    from payments.tests.factories import CouponFactory

    course = paid_course("40.00")
    CouponFactory(code="TENOFF", course=course, kind="fixed", value=Decimal("10"))
    order = start(client, student, course, coupon="TENOFF")
    client.post(card_url(order), {"card": "decline"})
    page = client.get(return_url(order)).content.decode()
    assert "checkout/?coupon=TENOFF" in page


def test_the_return_page_says_processing_while_pending_and_polls(client, student):
    order = start(client, student, paid_course())
    page = client.get(return_url(order)).content.decode()
    assert "Processing your payment…" in page
    assert 'role="status"' in page
    assert f'data-hx-get="{return_url(order)}" data-hx-trigger="every 2s"' in page
    assert f'<a href="{return_url(order)}">Refresh</a>' in page  # without JavaScript


def test_the_status_fragment_is_no_news_while_pending_then_the_outcome(client, student):
    order = start(client, student, paid_course())
    polled = client.get(return_url(order), headers={"HX-Request": "true"})
    assert polled.status_code == 204 and polled.content == b""
    client.post(card_url(order), {"card": "succeed"})
    polled = client.get(return_url(order), headers={"HX-Request": "true"})
    fragment = polled.content.decode()
    assert polled.status_code == 200 and "<html" not in fragment
    assert fragment.strip().startswith('<div id="order-status"')
    assert "You are enrolled" in fragment and "data-hx-trigger" not in fragment  # polling ends


def test_a_settled_order_has_no_pay_page(client, student):
    order = start(client, student, paid_course())
    client.post(card_url(order), {"card": "succeed"})
    assert client.get(pay_url(order)).url == return_url(order)


def test_test_pay_needs_a_card_and_a_post(client, student):
    order = start(client, student, paid_course())
    assert client.post(card_url(order), {"card": "steal"}).status_code == 400
    assert client.get(card_url(order)).status_code == 405
    order.refresh_from_db()
    assert order.status == "pending"


def test_test_payments_are_refused_where_the_provider_is_stripe(client, student, settings):
    order = start(client, student, paid_course())  # a test order, from before the switch
    settings.PAYMENTS_PROVIDER = "stripe"
    assert client.post(card_url(order), {"card": "succeed"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending" and not Enrollment.objects.exists()


def test_test_payments_are_refused_for_another_providers_order(client, student):
    order = start(client, student, paid_course())
    Order.objects.filter(pk=order.pk).update(provider="stripe")
    assert client.post(card_url(order), {"card": "succeed"}).status_code == 404
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("actor", ["other_student", "instructor", "staff"])
def test_no_one_but_the_buyer_opens_an_order(client, request, student, actor):
    course = paid_course()
    order = start(client, student, course)
    client.force_login(request.getfixturevalue(actor))
    for url in (pay_url(order), return_url(order), order.get_absolute_url()):
        assert client.get(url).status_code == 404, url
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 404, url
    assert client.post(card_url(order), {"card": "succeed"}).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending" and not Enrollment.objects.exists()
    assert order.course_title not in client.get(reverse("payments:orders")).content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, student):
    order = start(client, student, paid_course())
    client.logout()
    for url in (pay_url(order), return_url(order), order.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and reverse("account_login") in response.url
    response = client.post(card_url(order), {"card": "succeed"})
    assert response.status_code == 302 and reverse("account_login") in response.url
    assert not Enrollment.objects.exists()
