from decimal import Decimal

import pytest

from lms.lib.integrity import run_checks
from payments import services
from payments.models import Coupon
from payments.tests.factories import CouponFactory, paid_course

pytestmark = pytest.mark.django_db


def test_coupon_uses_follow_checkouts_and_the_check_mends_drift(student, other_student):
    course = paid_course("40.00")
    CouponFactory(code="TEN", course=course, value=Decimal("10"))
    services.start_checkout(user=student, course=course, coupon_code="TEN")
    failed = services.start_checkout(user=other_student, course=course, coupon_code="TEN")
    services.settle_failed(order=failed, reason="Declined.")
    assert Coupon.objects.get().used_count == 1
    assert run_checks(only=["coupon uses"]) == []

    Coupon.objects.update(used_count=5)
    (drift,) = run_checks(only=["coupon uses"], fix=True)
    assert (drift.stored, drift.actual) == (5, 1)
    assert Coupon.objects.get().used_count == 1 and run_checks(only=["coupon uses"]) == []
