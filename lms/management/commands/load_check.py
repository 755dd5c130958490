"""Check, after a load or fault test, that nothing the server acknowledged was lost.

    manage.py load_check acknowledged.json

The file lists every progress report the server answered 200 to (student, lesson,
segment, whether it said "completed"). Each acknowledged segment must lie inside the
stored watched union, an acknowledged completion must be stored, and the integrity
check (every summary field against its rows, every file against its row) must find
nothing. Prints one line per problem and exits 1 if there is any.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from learning.models import LessonProgress
from lms.lib.integrity import run_checks

TOLERANCE = 0.05  # seconds: the stored numbers are floats


def covers(watched: list[list[float]], start: float, end: float) -> bool:
    return any(a - TOLERANCE <= start and end <= b + TOLERANCE for a, b in watched)


class Command(BaseCommand):
    help = "Verify acknowledged progress and every summary's integrity after a load test."

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

        problems.extend(str(drift) for drift in run_checks())

        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} problem(s) after the load test")
        self.stdout.write(
            self.style.SUCCESS(f"All {len(reports)} acknowledged progress reports are stored.")
        )
