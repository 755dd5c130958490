from django import forms

from payments.models import Coupon


class CodeField(forms.CharField):
    """A coupon code as typed: spaces trimmed, letters in capitals (how codes are stored),
    before the code's validators look at it."""

    def to_python(self, value):
        return super().to_python(value).upper()


class CheckoutForm(forms.Form):
    """All the buyer chooses at checkout: a coupon. The course is the URL's and the price
    the server's; anything else a client sends is not read."""

    coupon = CodeField(label="Coupon code", max_length=32, required=False)


class CouponAdminForm(forms.ModelForm):
    code = CodeField(
        max_length=32,
        help_text=Coupon._meta.get_field("code").help_text,
    )

    class Meta:
        model = Coupon
        fields = [
            "code",
            "kind",
            "value",
            "course",
            "starts_at",
            "ends_at",
            "max_uses",
            "is_active",
        ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if not user.is_platform_staff:
            # A coupon for every course is staff's.
            self.fields["course"].required = True
            self.fields["course"].help_text = "One of your courses."

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if kind == Coupon.Kind.PERCENT and value is not None and value > 100:
            self.add_error("value", "A percentage coupon takes at most 100 % off.")
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The end must come after the start.")
        return data
