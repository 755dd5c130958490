"""Generate a large catalog quickly (bulk inserts) for benchmarks and query-budget checks.

    manage.py generate_scale_data --courses 1000 --sections 10 --lessons 10

Rows are marked with the "scale-" slug prefix; --clear removes earlier generated rows
first. Lessons get durations but no video files (the streaming benchmark uses the demo
videos).
"""

import random
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Profile, User
from catalog.models import Category, Course, Lesson, Section
from learning.models import ActivityDay, Enrollment, LessonProgress

PREFIX = "scale-"
WORDS = [
    "python",
    "data",
    "design",
    "music",
    "history",
    "cooking",
    "finance",
    "drawing",
    "chess",
    "writing",
    "physics",
    "guitar",
    "marketing",
    "statistics",
    "photography",
    "gardening",
    "spanish",
    "algebra",
    "yoga",
    "web",
]


class Command(BaseCommand):
    help = "Bulk-create N courses × sections × lessons (published) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--courses", type=int, default=500)
        parser.add_argument("--sections", type=int, default=5)
        parser.add_argument("--lessons", type=int, default=6, help="lessons per section")
        parser.add_argument("--instructors", type=int, default=20)
        parser.add_argument("--clear", action="store_true", help="delete earlier scale data")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--students",
            type=int,
            default=0,
            help="also create this many students with enrolments and progress",
        )
        parser.add_argument("--enrolments", type=int, default=2, help="courses per student")
        parser.add_argument(
            "--progress", type=int, default=5, help="lesson-progress rows per enrolment"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=90,
            help="spread sign-ups, enrolments and progress over this many days",
        )

    @transaction.atomic
    def handle(
        self,
        *args,
        courses,
        sections,
        lessons,
        instructors,
        clear,
        seed,
        students,
        enrolments,
        progress,
        days,
        **options,
    ):
        rng = random.Random(seed)
        if clear:
            Course.objects.filter(slug__startswith=PREFIX).delete()
            User.objects.filter(email__startswith=PREFIX).delete()
        start = Course.objects.filter(slug__startswith=PREFIX).count()
        categories = [
            Category.objects.get_or_create(
                slug=f"{PREFIX}{word}", defaults={"name": f"{word.title()} (generated)"}
            )[0]
            for word in WORDS[:8]
        ]
        teachers = self.instructors(instructors)
        now = timezone.now()
        new_courses = Course.objects.bulk_create(
            [
                Course(
                    title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} course {start + i}",
                    slug=f"{PREFIX}{start + i}",
                    subtitle="Generated for benchmarks",
                    description=" ".join(rng.choices(WORDS, k=60)),
                    category=rng.choice(categories),
                    instructor=rng.choice(teachers),
                    level=rng.choice(Course.Level.values),
                    price=Decimal(rng.choice([0, 0, 0, 9, 19, 49])),
                    price_decided=True,
                    status=Course.Status.PUBLISHED,
                    published_at=now - timezone.timedelta(minutes=start + i),
                )
                for i in range(courses)
            ],
            batch_size=1000,
        )
        new_sections = Section.objects.bulk_create(
            [
                Section(course=course, title=f"Section {s + 1}", order=s + 1)
                for course in new_courses
                for s in range(sections)
            ],
            batch_size=2000,
        )
        Lesson.objects.bulk_create(
            [
                Lesson(
                    section=section,
                    title=f"Lesson {n + 1}",
                    order=n + 1,
                    duration=rng.randint(60, 1200),
                )
                for section in new_sections
                for n in range(lessons)
            ],
            batch_size=5000,
        )
        Course.objects.filter(slug__startswith=PREFIX).refresh_lesson_stats()
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(new_courses)} courses, {len(new_sections)} sections, "
                f"{len(new_sections) * lessons} lessons."
            )
        )
        if students:
            self.learners(rng, students, enrolments, progress, days)

    def learners(self, rng, count: int, per_student: int, per_enrolment: int, days: int):
        """Students with enrolments and lesson progress spread over ``days`` days."""
        now = timezone.now()
        start = User.objects.filter(email__startswith=f"{PREFIX}student").count()
        users = User.objects.bulk_create(
            [
                User(
                    email=f"{PREFIX}student{start + n}@example.com",
                    first_name="Student",
                    last_name=str(start + n),
                    password="!",  # noqa: S106 (an unusable password, like set_unusable_password)
                    date_joined=now - timezone.timedelta(minutes=rng.randint(0, days * 1440)),
                )
                for n in range(count)
            ],
            batch_size=5000,
        )
        Profile.objects.bulk_create([Profile(user=u) for u in users], batch_size=5000)
        lessons_by_course: dict[int, list[int]] = {}
        for course_id, lesson_id in (
            Lesson.objects.filter(section__course__slug__startswith=PREFIX)
            .order_by("section__order", "order")
            .values_list("section__course", "pk")
        ):
            lessons_by_course.setdefault(course_id, []).append(lesson_id)
        course_ids = list(lessons_by_course)
        enrolment_rows, progress_rows, activity_rows = [], [], []
        for user in users:
            for course_id in rng.sample(course_ids, min(per_student, len(course_ids))):
                when = now - timezone.timedelta(minutes=rng.randint(0, days * 1440))
                course_lessons = lessons_by_course[course_id]
                reached = rng.randint(1, min(per_enrolment, len(course_lessons)))
                done = reached == len(course_lessons)
                enrolment_rows.append(
                    Enrollment(
                        user=user,
                        course_id=course_id,
                        completed_at=when if done else None,
                        completed_lessons=reached,
                    )
                )
                activity_rows.append(
                    ActivityDay(user=user, course_id=course_id, day=timezone.localdate(when))
                )
                for lesson_id in course_lessons[:reached]:
                    progress_rows.append(
                        LessonProgress(
                            user=user,
                            lesson_id=lesson_id,
                            position=30,
                            watched=[[0, 30]],
                            watched_seconds=30,
                            completed_at=when,
                            updated_at=when,
                        )
                    )
        Enrollment.objects.bulk_create(enrolment_rows, batch_size=5000)
        ActivityDay.objects.bulk_create(activity_rows, batch_size=5000, ignore_conflicts=True)
        for chunk in range(0, len(progress_rows), 20000):
            LessonProgress.objects.bulk_create(
                progress_rows[chunk : chunk + 20000], batch_size=5000
            )
        # bulk_create stamps auto_now(_add) fields with "now": spread them as intended.
        mine = {"user__email__startswith": f"{PREFIX}student"}
        LessonProgress.objects.filter(**mine).update(updated_at=F("completed_at"))
        joined = User.objects.filter(pk=OuterRef("user_id")).values("date_joined")
        Enrollment.objects.filter(**mine).update(created_at=Subquery(joined))
        counts = (
            Enrollment.objects.filter(course_id=OuterRef("pk"))
            .order_by()
            .values("course")
            .annotate(n=Count("pk"))
            .values("n")
        )
        Course.objects.filter(slug__startswith=PREFIX).update(
            enrollment_count=Coalesce(Subquery(counts), 0)
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(users)} students, {len(enrolment_rows)} enrolments, "
                f"{len(progress_rows)} lesson-progress rows."
            )
        )

    def instructors(self, count: int) -> list[User]:
        existing = list(User.objects.filter(email__startswith=PREFIX))
        missing = [
            User(
                email=f"{PREFIX}teacher{n}@example.com",
                first_name="Teacher",
                last_name=str(n),
                role=User.Role.INSTRUCTOR,
                is_staff=True,
            )
            for n in range(len(existing), count)
        ]
        for user in missing:
            user.set_unusable_password()
        created = User.objects.bulk_create(missing)
        Profile.objects.bulk_create([Profile(user=user) for user in created])
        return existing + created
