"""Time the analytics dashboard on a large data set (issue: under 1 s at this size).

    createdb -h 127.0.0.1 -U postgres lectern_dash
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lectern_dash \
        .venv/bin/python scripts/bench_dashboard.py

Generates (once; --regenerate empties the database first) 1,000 courses × 30 lessons,
100,000 students with 2 enrolments and 1–9 lesson-progress rows each (about 1,000,000
rows), then
renders the dashboard as staff in-process and reports the median of 5 timed renders
after a warm-up, with the number of queries. Writes docs/benchmarks/dashboard.md.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from catalog.models import Course  # noqa: E402
from learning.models import LessonProgress  # noqa: E402


def check(response) -> None:
    if response.status_code != 200:
        sys.exit(f"the dashboard answered {response.status_code}")


def main():
    call_command("migrate", verbosity=0)
    regenerate = "--regenerate" in sys.argv
    if regenerate:
        call_command("flush", interactive=False, verbosity=0)  # TRUNCATE: fast at this size
    if not Course.objects.filter(slug__startswith="scale-").exists():
        started = time.perf_counter()
        call_command(
            "generate_scale_data",
            courses=1000,
            sections=5,
            lessons=6,
            students=100_000,
            enrolments=2,
            progress=9,
            days=90,
        )
        print(f"generated in {time.perf_counter() - started:.0f} s")
    staff, _ = User.objects.get_or_create(email="bench-staff@example.com")
    staff.set_role(User.Role.STAFF)
    client = Client()
    client.force_login(staff)
    course = Course.objects.filter(slug__startswith="scale-").order_by("-enrollment_count").first()
    url = f"/admin/dashboard/?period=90&course={course.pk}"
    check(client.get(url))  # warm-up
    timings = []
    for _ in range(5):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        check(response)
    users = User.objects.count()
    progress = LessonProgress.objects.count()
    line = (
        f"median {statistics.median(timings) * 1000:.0f} ms (min {min(timings) * 1000:.0f}, "
        f"max {max(timings) * 1000:.0f}), {len(queries)} queries; {users:,} users, "
        f"{Course.objects.count():,} courses, {progress:,} lesson-progress rows, "
        f"{connection.vendor}"
    )
    print(line)
    out = ROOT / "docs" / "benchmarks" / "dashboard.md"
    out.write_text(
        "# Dashboard benchmark\n\n"
        "`scripts/bench_dashboard.py`, staff view, 90-day period, one course's "
        "funnel, rendered in-process (no network), 2 cores.\n\n"
        f"- {line}\n"
    )


if __name__ == "__main__":
    main()
