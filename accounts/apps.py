from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    # Model permissions each role group holds for this app's models (see
    # accounts.permissions.sync_role_groups). "__all__" means every permission.
    role_permissions = {
        "Staff": [
            "view_user",
            "change_user",
            "view_profile",
            "change_profile",
            "view_instructorapplication",
            "change_instructorapplication",
        ],
    }

    def ready(self):
        from allauth.account.signals import email_changed, email_confirmed

        from accounts.permissions import sync_role_groups
        from accounts.services import (
            end_other_sessions_on_email_change,
            welcome_on_first_verification,
        )
        from lms.lib.files import follow_files_of
        from lms.lib.page_cache import shown_on_public_pages

        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        email_confirmed.connect(
            welcome_on_first_verification, dispatch_uid="accounts.welcome_on_first_verification"
        )
        email_changed.connect(
            end_other_sessions_on_email_change, dispatch_uid="accounts.end_other_sessions"
        )
        follow_files_of(self)  # avatars
        # Instructor names and avatars show on course pages; every signup creates a
        # profile that no public page shows yet.
        shown_on_public_pages(self.get_model("Profile"), new_rows_shown=False)
