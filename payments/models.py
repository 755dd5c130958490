"""Orders, coupons and the provider events already handled.

An order is one buyer buying one course, at an amount the server computed at checkout.
Its status moves pending → paid → refunded, or pending → failed / canceled, only through
payments.services, each move a guarded UPDATE (``WHERE status = <expected>``), so a
webhook delivered twice, two webhooks at once or a double-clicked button fulfil once.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from catalog.models import Course
from lms.lib.validators import no_control_characters

ZERO = Decimal("0.00")


class CouponQuerySet(models.QuerySet):
    def editable_by(self, user):
        """Staff: every coupon; instructors: those of their own courses."""
        if not user.is_authenticated or not user.can_author_courses:
            return self.none()
        if user.is_platform_staff:
            return self
        return self.filter(course__instructor=user)


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Amount off"

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Z0-9][A-Z0-9_-]*$", "Capital letters, digits, - and _ only.")
        ],
        help_text="What buyers type, e.g. SPRING25 (stored in capitals).",
    )
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.PERCENT)
    value = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Percent (1–100) or an amount in the site's currency.",
    )
    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="coupons",
        help_text="Empty: every course (staff only).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Total uses; empty for no limit."
    )
    # Uses held by pending orders and taken by paid ones (services keep it in step).
    used_count = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CouponQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100),
                name="payments_coupon_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(used_count__lte=F("max_uses")),
                name="payments_coupon_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(ends_at__gt=F("starts_at")),
                name="payments_coupon_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        self.code = self.code.strip().upper()
        super().save(*args, **kwargs)

    def discount_on(self, price: Decimal) -> Decimal:
        """The amount taken off ``price`` (never more than the price)."""
        off = price * self.value / 100 if self.kind == self.Kind.PERCENT else self.value
        return min(off, price)


class OrderQuerySet(models.QuerySet):
    def of(self, user):
        return self.filter(buyer=user) if user.is_authenticated else self.none()

    def paid(self):
        return self.filter(status=Order.Status.PAID)


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting payment"
        PAID = "paid", "Paid"
        FAILED = "failed", "Payment failed"
        CANCELED = "canceled", "Canceled"
        REFUNDED = "refunded", "Refunded"

    class Provider(models.TextChoices):
        STRIPE = "stripe", "Stripe"
        TEST = "test", "Test payments"
        FREE = "free", "No payment (100 % coupon)"

    # Orders outlive accounts (bookkeeping): the buyer's address is kept on the order.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="orders"
    )
    buyer_email = models.EmailField()
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="orders")
    course_title = models.CharField(max_length=120)  # as sold, for receipts
    list_price = models.DecimalField(max_digits=8, decimal_places=2)
    discount = models.DecimalField(max_digits=8, decimal_places=2, default=ZERO)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3)
    coupon = models.ForeignKey(
        Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    provider = models.CharField(max_length=8, choices=Provider)
    # The provider's id for the payment (a Stripe PaymentIntent id), set once it exists.
    provider_ref = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    failure_reason = models.CharField(
        max_length=300, blank=True, validators=[no_control_characters]
    )
    refund_reason = models.CharField(max_length=300, blank=True, validators=[no_control_characters])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # The dashboard's revenue per day.
            models.Index(fields=["paid_at"], name="payments_order_paid_idx"),
            models.Index(fields=["refunded_at"], name="payments_order_refunded_idx"),
        ]
        constraints = [
            # One open or paid order per buyer and course: a second checkout continues the
            # pending one, and a course bought once is never charged again.
            models.UniqueConstraint(
                fields=["buyer", "course"],
                condition=Q(status__in=["pending", "paid"]),
                name="payments_order_one_open_or_paid",
            ),
            models.UniqueConstraint(
                fields=["provider", "provider_ref"],
                condition=~Q(provider_ref=""),
                name="payments_order_provider_ref_uniq",
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(discount__gte=0),
                name="payments_order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("list_price") - F("discount")),
                name="payments_order_amount_is_price_less_discount",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="payments_order_paid_has_date",
            ),
        ]

    def __str__(self):
        return f"Order {self.pk} · {self.course_title}"

    def get_absolute_url(self):
        return reverse("payments:order", args=[self.pk])


class CouponRedemption(models.Model):
    """A buyer's use of a coupon: once per buyer, held by a pending order and kept by a
    paid one; a failed or canceled order gives it back."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.CASCADE, related_name="redemption")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "user"], name="payments_redemption_once_per_buyer"
            )
        ]

    def __str__(self):
        return f"{self.coupon} for order {self.order_id}"


class ProviderEvent(models.Model):
    """A webhook event already handled: a redelivery finds its id here and does nothing."""

    provider = models.CharField(max_length=8, choices=Order.Provider)
    event_id = models.CharField(max_length=255)
    type = models.CharField(max_length=100)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    outcome = models.CharField(max_length=300)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once")
        ]

    def __str__(self):
        return f"{self.provider} {self.type} {self.event_id}"
