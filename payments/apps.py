from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments"
    # Staff see and refund every order and manage every coupon; instructors manage the
    # coupons of their own courses (the admin scopes them). The keys are the role groups'
    # names (accounts.models.INSTRUCTORS_GROUP, STAFF_GROUP): a name no group has grants
    # nothing, silently.
    role_permissions = {
        "Staff": "__all__",
        "Instructors": ["view_coupon", "add_coupon", "change_coupon", "delete_coupon"],
    }

    def ready(self):
        from lms.lib.page_cache import shown_on_public_pages

        # A ?coupon= course page shows the coupon's price: a changed coupon shows at once.
        shown_on_public_pages(self.get_model("Coupon"))
