"""The curriculum builder on the course's admin page (sections and lessons, in place).

Owned by the builder: its views (HTMX fragments of ``admin/catalog/course/builder.html``)
are added to CourseAdmin's URLs here. URL names (all under the course's admin URL,
``admin/catalog/course/<course_id>/curriculum/…``):

- ``admin:catalog_course_curriculum`` (GET): the builder fragment; the builder's root
  element reloads itself on the ``curriculum-changed`` event from ``body`` (the upload
  script sends it when a file became a lesson).
"""


class CurriculumBuilderMixin:
    def get_urls(self):
        return super().get_urls()
