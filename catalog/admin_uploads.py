"""Uploading many lesson videos at once from the curriculum builder: one lesson per file,
each with its own progress; straight to the bucket (presigned POST) with S3 storage.

Owned by the uploads work: its views are added to CourseAdmin's URLs here; its drop zone
is ``admin/catalog/course/upload.html``, included by the builder once per section with
``course`` and ``section`` in the context. When a file has become a lesson the script
dispatches ``curriculum-changed`` on ``document.body``; the builder reloads itself.
"""


class BulkUploadMixin:
    def get_urls(self):
        return super().get_urls()
