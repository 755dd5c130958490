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
from django.utils import timezone

from accounts.models import Profile, User
from catalog.models import Category, Course, Lesson, Section

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

    @transaction.atomic
    def handle(self, *args, courses, sections, lessons, instructors, clear, seed, **options):
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
        Course.objects.filter(pk__in=[c.pk for c in new_courses]).refresh_lesson_stats()
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {len(new_courses)} courses, {len(new_sections)} sections, "
                f"{len(new_sections) * lessons} lessons."
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
