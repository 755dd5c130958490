"""Pacing: which lessons of a course are open to a student, and when the others open.

A course's ``pacing`` (catalog.Course.Pacing) says how lessons open: free (any order),
sequential (a lesson opens when the one before it is complete) or drip (each section
opens ``Section.opens_after_days`` after enrolment, at midnight in the student's time
zone). The course's instructor and staff see everything; a ``LessonUnlock`` opens one
lesson for one student.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Lock:
    """Why a lesson is closed to this student, and when it opens (None: when a condition
    is met, not at a time)."""

    reason: str
    opens_at: datetime | None = None
