from decimal import Decimal

import factory

from catalog.tests.factories import published_course
from payments.models import Coupon


class CouponFactory(factory.django.DjangoModelFactory):
    """50 % off every course, no limits; pass ``course=`` for one course's."""

    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = Coupon.Kind.PERCENT
    value = Decimal("50")


def paid_course(price="49.00", **kwargs):
    """A published course at ``price`` (two lessons)."""
    return published_course(price=Decimal(price), **kwargs)
