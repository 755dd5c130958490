from django.apps import AppConfig
from django.db.models.signals import post_delete, pre_delete


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Reviews"
    # Moderation is staff's alone: instructors hold no permission on reviews, so they
    # cannot hide reviews of their own courses (accounts.permissions).
    role_permissions = {"Staff": "__all__"}

    def ready(self):
        from django.contrib.auth import get_user_model

        from lms.lib.page_cache import shown_on_public_pages
        from reviews.services import after_user_deleted, before_user_deleted

        user_model = get_user_model()
        pre_delete.connect(
            before_user_deleted, sender=user_model, dispatch_uid="reviews.before_user_deleted"
        )
        post_delete.connect(
            after_user_deleted, sender=user_model, dispatch_uid="reviews.after_user_deleted"
        )
        shown_on_public_pages(self.get_model("Review"))  # ratings and reviews on course pages
