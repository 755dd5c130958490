from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog"
    # See accounts.permissions: what each role group may do with these models in the
    # admin. Instructors' rows are further scoped to their own courses (catalog.admin).
    role_permissions = {
        "Instructors": [
            *(
                f"{action}_{model}"
                for action in ("add", "change", "delete", "view")
                for model in ("course", "section", "lesson", "quiz", "question", "choice")
            ),
            "view_tag",
            "add_tag",
        ],
        "Staff": "__all__",
    }

    def ready(self):
        from lms.lib.files import follow_files_of
        from lms.lib.page_cache import shown_on_public_pages

        follow_files_of(self)  # thumbnails, lesson videos
        shown_on_public_pages(
            *(self.get_model(name) for name in ("Category", "Tag", "Course", "Section", "Lesson"))
        )
