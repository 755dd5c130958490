from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
    # Staff see and refund every order and manage every coupon; instructors manage the
    # coupons of their own courses (the admin scopes them).
    role_permissions = {
        "Staff": "__all__",
        "Instructor": ["view_coupon", "add_coupon", "change_coupon", "delete_coupon"],
    }
