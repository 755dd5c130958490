"""What catalog tells the apps above it, which it must not import (README, "Layout")."""

from django.dispatch import Signal

# Sent inside the transaction that changed which lessons count in some courses — a lesson
# moved to another course, published, unpublished or deleted, a section moved or deleted
# — once their lesson counts are recounted. ``course_ids``: every course involved, the
# one a part left as well as the one it joined. learning keeps its rollups in step.
lessons_changed = Signal()

# Sent inside the transaction of ``catalog.duplicate.duplicate_course``, once the copy's
# sections and lessons exist: ``source`` and ``copy`` (Courses), ``lesson_pairs`` as
# ``[(original lesson, its copy), …]`` in course order. The apps that keep more per
# lesson (video: captions) copy theirs for the new lessons; a receiver that raises rolls
# the whole copy back, files included.
course_duplicated = Signal()
