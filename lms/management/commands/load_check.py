"""Check, after a load or fault test, that nothing the server acknowledged was lost.

    manage.py load_check acknowledged.json

The file lists every progress report the server answered 200 to (student, lesson,
segment, whether it said "completed"). Each acknowledged segment must lie inside the
stored watched union, an acknowledged completion must be stored, every course's
enrolment count must match its enrolments and every rating its reviews. Prints one
line per problem and exits 1 if there is any.
"""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, F

from catalog.models import Course
from learning.models import LessonProgress
from reviews.services import recompute_all_ratings

TOLERANCE = 0.05  # seconds: the stored numbers are floats


def covers(watched: list[list[float]], start: float, end: float) -> bool:
    return any(a - TOLERANCE <= start and end <= b + TOLERANCE for a, b in watched)


class Command(BaseCommand):
    help = "Verify acknowledged progress, enrolment counts and ratings after a load test."

    def add_arguments(self, parser):
        parser.add_argument("acknowledged", help="JSON file written by scripts/loadtest.py")

    def handle(self, *args, acknowledged, **options):
        with open(acknowledged) as f:
            reports = json.load(f)
        stored = {
            (p.user.email, p.lesson_id): p
            for p in LessonProgress.objects.select_related("user").filter(
                user__email__in={r["email"] for r in reports}
            )
        }
        problems = []
        for r in reports:
            progress = stored.get((r["email"], r["lesson"]))
            if progress is None:
                problems.append(f"{r['email']} lesson {r['lesson']}: acknowledged, not stored")
                continue
            if r.get("start") is not None and not covers(progress.watched, r["start"], r["end"]):
                problems.append(
                    f"{r['email']} lesson {r['lesson']}: segment {r['start']}–{r['end']} "
                    f"acknowledged but missing from {progress.watched}"
                )
            if r.get("completed") and not progress.completed_at:
                problems.append(f"{r['email']} lesson {r['lesson']}: completion lost")

        drifted = (
            Course.objects.annotate(n=Count("enrollments"))
            .exclude(enrollment_count=F("n"))
            .values_list("pk", "enrollment_count", "n")
        )
        for pk, count, actual in drifted:
            problems.append(f"course {pk}: enrolment count {count}, enrolments {actual}")
        for course, stored_rating, real in recompute_all_ratings(fix=False):
            problems.append(f"{course.slug}: rating {stored_rating}, reviews say {real}")

        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) after the load test")
        self.stdout.write(
            self.style.SUCCESS(f"All {len(reports)} acknowledged progress reports are stored.")
        )
