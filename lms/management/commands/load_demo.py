"""Load Lectern's demo data. Idempotent: a second run changes nothing."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from catalog.builder import set_lesson_published
from catalog.models import Category, Choice, Course, Lesson, Question, Quiz, Section, Tag
from catalog.video import inspect_video
from learning import services as learning
from learning.models import Enrollment, LessonProgress
from lms.demo_thumbnails import course_thumbnail
from payments.models import Coupon
from reviews import services as review_services
from reviews.models import Review
from video.captions import check_captions
from video.models import Caption

DEMO_PASSWORD = "lectern-demo-2026"
MEDIA = Path(__file__).resolve().parents[2] / "demo_media"
VIDEOS = ["welcome.mp4", "colour-bars.mp4", "mandelbrot.webm", "automaton.mp4"]
CAPTION_LANGUAGES = ["en", "es"]  # demo_media/captions/<video>.<language>.vtt

DEMO_USERS = [
    # email, first name, last name, role
    ("student@lectern.test", "Sam", "Student", User.Role.STUDENT),
    ("instructor@lectern.test", "Ines", "Instructor", User.Role.INSTRUCTOR),
    ("staff@lectern.test", "Stella", "Staff", User.Role.STAFF),
    ("teacher2@lectern.test", "Theo", "Teacher", User.Role.INSTRUCTOR),
]

CATEGORIES = {
    "Programming": "Write software that works, from your first script to production systems.",
    "Data Science": "Statistics, analysis and machine learning with real data.",
    "Design": "Visual design, typography and user experience.",
    "Business": "Management, marketing and starting something of your own.",
    "Photography": "Cameras, light and composition.",
    "Music": "Theory, instruments and production.",
}

# title, category, level, price, featured, instructor email, tags, sections
COURSES = [
    (
        "Python for Absolute Beginners",
        "Programming",
        "beginner",
        "0",
        True,
        "instructor@lectern.test",
        ["python", "basics"],
        ["Getting started", "Values and names", "Control flow"],
    ),
    (
        "Django from Zero to Deployed",
        "Programming",
        "intermediate",
        "49",
        True,
        "instructor@lectern.test",
        ["python", "django", "web"],
        ["Project setup", "Models", "Views and templates", "Deploying"],
    ),
    (
        "Practical Git",
        "Programming",
        "all",
        "0",
        False,
        "teacher2@lectern.test",
        ["git", "tools"],
        ["Everyday Git", "Branches"],
    ),
    (
        "SQL for Analysts",
        "Data Science",
        "beginner",
        "19",
        False,
        "teacher2@lectern.test",
        ["sql", "data"],
        ["Selecting", "Joining", "Grouping"],
    ),
    (
        "Statistics Without Tears",
        "Data Science",
        "beginner",
        "0",
        False,
        "instructor@lectern.test",
        ["statistics"],
        ["Describing data", "Uncertainty"],
    ),
    (
        "Machine Learning Foundations",
        "Data Science",
        "advanced",
        "89",
        True,
        "instructor@lectern.test",
        ["ml", "python"],
        ["Learning from data", "Models", "Evaluation"],
    ),
    (
        "Typography Essentials",
        "Design",
        "beginner",
        "0",
        False,
        "teacher2@lectern.test",
        ["typography"],
        ["Letters", "Layout"],
    ),
    (
        "UX Research in Practice",
        "Design",
        "intermediate",
        "29",
        False,
        "instructor@lectern.test",
        ["ux", "research"],
        ["Planning", "Interviews", "Synthesis"],
    ),
    (
        "Starting a Small Business",
        "Business",
        "all",
        "0",
        False,
        "teacher2@lectern.test",
        ["business"],
        ["The idea", "The numbers"],
    ),
    (
        "Marketing Fundamentals",
        "Business",
        "beginner",
        "25",
        False,
        "instructor@lectern.test",
        ["marketing"],
        ["Audiences", "Channels"],
    ),
    (
        "Composition for Photographers",
        "Photography",
        "intermediate",
        "0",
        False,
        "teacher2@lectern.test",
        ["photography"],
        ["Seeing", "Framing"],
    ),
    (
        "Music Theory Basics",
        "Music",
        "beginner",
        "15",
        False,
        "instructor@lectern.test",
        ["music", "theory"],
        ["Notes and scales", "Chords"],
    ),
]

# Demo learners who enrolled and left reviews, so ratings and lists look lived-in.
DEMO_REVIEWS = [
    (
        "ana@lectern.test",
        "Ana",
        "Alves",
        [
            (
                "Python for Absolute Beginners",
                5,
                "Exactly the pace I needed. The worked examples helped.",
            ),
            ("Statistics Without Tears", 4, "Clear explanations; I would like more exercises."),
            ("Practical Git", 5, ""),
        ],
    ),
    (
        "ben@lectern.test",
        "Ben",
        "Brown",
        [
            ("Python for Absolute Beginners", 4, "Good start. Some lessons are very short."),
            ("Typography Essentials", 5, "Changed how I look at every poster."),
        ],
    ),
    (
        "chen@lectern.test",
        "Chen",
        "Li",
        [
            ("Python for Absolute Beginners", 5, "Recommended it to my whole team."),
            ("Practical Git", 3, "Useful, but I already knew most of it."),
        ],
    ),
]

# What the demo student has done, so My learning, "Continue" and a certificate show at
# the first login: (course, lessons watched to the end — None for all —, seconds played
# of the next one). Loaded in this order, so the half-way course is the most recent.
# Other courses stay untouched, for trying enrolment (the browser tests enrol the demo
# student in Python for Absolute Beginners and complete Practical Git).
DEMO_STUDENT = "student@lectern.test"
DEMO_STUDENT_LEARNING = [
    ("Composition for Photographers", 0, 0),  # enrolled, not started
    ("Typography Essentials", None, 0),  # completed, with its certificate
    ("Statistics Without Tears", 2, 6),  # half-way: resumes 6 s into lesson 3
]

# A coupon to try at checkout (README, "Demo accounts"): code, course, percent off.
DEMO_COUPONS = [("LECTERN50", "Django from Zero to Deployed", Decimal("50"))]

LESSON_TITLES = ["Welcome and overview", "The core idea", "Worked example", "Practice", "Recap"]

# The main demo course shows every kind of lesson: an article (Markdown: headings, lists,
# a table, code, a link) at the end of its second section and a quiz at the end of its
# last one. Added to a demo database loaded before lessons had kinds, too.
KINDS_COURSE = "Python for Absolute Beginners"
DEMO_ARTICLE = (
    "Values and names",
    "Reading: names, values and types",
    """\
Every Python program moves **values** around and gives them **names**. This reading sums
up what the videos of this section showed, so you can come back to it later.

# Values have types

A value is a piece of data. Its *type* says what you can do with it:

| Type | Example | What it is for |
|:-----|:-------:|:---------------|
| `int` | `42` | whole numbers |
| `float` | `3.14` | numbers with a fraction |
| `str` | `"hello"` | text |
| `bool` | `True` | yes or no |

Ask Python for a value's type with `type()`:

```python
>>> type(42)
<class 'int'>
>>> type("42")
<class 'str'>
```

# Names point at values

An assignment gives a value a name. The name is not a box that holds the value: it is a
label stuck on it, and two names can label the same value.

```python
price = 20
total = price * 3   # 60
price = 25          # total is still 60
```

## Good names

1. Say what the value *means*: `total_price`, not `tp`.
2. Use lower case and underscores: `number_of_students`.
3. Avoid the names Python already uses, such as `list`, `str` or `type`.

## Common mistakes

- Using a name before assigning it raises a `NameError`.
- `"3" + 4` raises a `TypeError`: convert first, with `int("3") + 4`.

> Tip: in the interactive prompt, type a name alone to see its value.

Want more? The official [Python tutorial](https://docs.python.org/3/tutorial/introduction.html)
covers numbers and text in more depth.
""",
)
DEMO_QUIZ_SECTION = "Control flow"
DEMO_QUIZ_TITLE = "Quiz: check your understanding"
# (kind, text, explanation, [(answer, correct)])
DEMO_QUESTIONS = [
    (
        "single",
        "What does type(3.0) return?",
        "3.0 has a decimal point, so it is a float, even though its value is whole.",
        [("<class 'int'>", False), ("<class 'float'>", True), ("<class 'str'>", False)],
    ),
    (
        "multiple",
        "Which of these are valid Python names? Choose every one that is.",
        "Names may contain letters, digits and underscores but may not start with a "
        "digit; a hyphen is read as a minus sign.",
        [("total_price", True), ("_count", True), ("2nd_place", False), ("first-name", False)],
    ),
    (
        "true_false",
        "After a = 5, then b = a, then a = 7, the value of b is 7.",
        "b was given the value 5; giving a a new value later does not change b.",
        [("True", False), ("False", True)],
    ),
    (
        "single",
        "Which loop prints the numbers 0, 1 and 2?",
        "range(3) counts from 0 up to, but not including, 3.",
        [("for n in range(3): print(n)", True), ("for n in range(1, 3): print(n)", False)],
    ),
]


class Command(BaseCommand):
    help = "Create the demo accounts and demo courses. Safe to run twice."

    def handle(self, *args, **options):
        with transaction.atomic():
            created_users = self.load_users()
        created_courses = 0
        for age_days, spec in enumerate(reversed(COURSES)):
            with transaction.atomic():
                created_courses += self.load_course(*spec, age_days=age_days)
        for title, *_ in COURSES:
            with transaction.atomic():
                self.load_thumbnail(Course.objects.select_related("category").get(title=title))
        with transaction.atomic():
            self.load_other_kinds(Course.objects.get(title=KINDS_COURSE))
        self.load_reviews()
        self.load_coupons()
        for spec in DEMO_STUDENT_LEARNING:
            with transaction.atomic():
                self.load_student_learning(*spec)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {created_users} new account(s), {created_courses} new course(s)."
            )
        )
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for email, _, _, role in DEMO_USERS[:3]:
            self.stdout.write(f"  {role.label:<11} {email}")

    def load_other_kinds(self, course: Course) -> None:
        """The main course's article and quiz lessons (``DEMO_ARTICLE``, ``DEMO_QUESTIONS``),
        each added once: a second run finds them by title and changes nothing."""
        lessons = Lesson.objects.filter(section__course=course)
        section_title, title, body = DEMO_ARTICLE
        if not lessons.filter(title=title).exists():
            Lesson.objects.create(
                section=course.sections.get(title=section_title),
                kind=Lesson.Kind.ARTICLE,
                title=title,
                description="A summary to read and come back to.",
                body=body,
            )
        if not lessons.filter(title=DEMO_QUIZ_TITLE).exists():
            # Written as a draft, published once its questions are in: the same rule
            # as the builder's (catalog.quizzes.quiz_problems).
            quiz_lesson = Lesson.objects.create(
                section=course.sections.get(title=DEMO_QUIZ_SECTION),
                kind=Lesson.Kind.QUIZ,
                title=DEMO_QUIZ_TITLE,
                description="Four questions on this course. 70 % passes; three attempts.",
                is_published=False,
            )
            quiz = Quiz.objects.create(lesson=quiz_lesson, pass_mark=70, max_attempts=3)
            for order, (kind, text, explanation, answers) in enumerate(DEMO_QUESTIONS, 1):
                question = Question.objects.create(
                    quiz=quiz, order=order, kind=kind, text=text, explanation=explanation
                )
                Choice.objects.bulk_create(
                    Choice(question=question, order=n, text=answer, is_correct=correct)
                    for n, (answer, correct) in enumerate(answers, 1)
                )
            set_lesson_published(lesson=quiz_lesson, published=True)

    def load_reviews(self) -> None:
        for email, first, last, reviews in DEMO_REVIEWS:
            user, created = User.objects.get_or_create(
                email=email, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            for title, stars, text in reviews:
                course = Course.objects.get(title=title)
                learning.enroll(user=user, course=course)
                if not Review.objects.filter(user=user, course=course).exists():
                    review_services.save_review(user=user, course=course, rating=stars, text=text)

    def load_coupons(self) -> None:
        """The demo's coupon, made once: a second run (or one after staff changed it in
        the admin) leaves it as it is."""
        staff = User.objects.get(email="staff@lectern.test")
        for code, title, percent in DEMO_COUPONS:
            Coupon.objects.get_or_create(
                code=code,
                defaults={
                    "kind": Coupon.Kind.PERCENT,
                    "value": percent,
                    "course": Course.objects.get(title=title),
                    "created_by": staff,
                },
            )

    def load_thumbnail(self, course: Course) -> None:
        """A generated picture for a demo course that has none (each new demo course, before
        it is published, and those of a demo database loaded before thumbnails existed).
        Saved through the image field, so the file follows the row like an uploaded one."""
        if course.thumbnail:
            return
        image = course_thumbnail(title=course.title, category=course.category.name)
        course.thumbnail.save(f"{course.slug}.webp", image, save=False)
        course.save(update_fields=["thumbnail"])

    def load_student_learning(self, title: str, watched: int | None, into_next: float) -> None:
        """Enrol the demo student and play lessons through the services the player calls,
        so rollups, activity, completion and the certificate are what a real student's
        would be. Skipped once the student has anything in the course (an earlier run,
        or someone trying the demo): a second run changes nothing."""
        student = User.objects.get(email=DEMO_STUDENT)
        course = Course.objects.get(title=title)
        if (
            Enrollment.objects.filter(user=student, course=course).exists()
            or LessonProgress.objects.filter(user=student, lesson__section__course=course).exists()
        ):
            return
        learning.enroll(user=student, course=course)
        lessons = list(
            course.published_lessons()
            .select_related("section__course")
            .order_by("section__order", "order")
        )
        played = len(lessons) if watched is None else watched
        for lesson in lessons[:played]:
            # One report of the whole lesson, as the player sends when a short video
            # ends: the first report of a lesson may cover this much (services'
            # FIRST_REPORT_SECONDS at double speed), so it is credited in full.
            learning.record_progress(
                user=student, lesson=lesson, position=lesson.duration, segment=(0, lesson.duration)
            )
        if into_next:
            learning.record_progress(
                user=student, lesson=lessons[played], position=into_next, segment=(0, into_next)
            )

    def load_users(self) -> int:
        created = 0
        for email, first, last, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, first_name=first, last_name=last)
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.set_role(role)
                created += 1
            EmailAddress.objects.get_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        return created

    def load_captions(self, lesson: Lesson, video_name: str) -> None:
        """English and Spanish captions for a demo video, checked and stored as an upload
        in the admin is (``video.captions``)."""
        stem = video_name.rsplit(".", 1)[0]
        for language in CAPTION_LANGUAGES:
            path = MEDIA / "captions" / f"{stem}.{language}.vtt"
            with path.open("rb") as handle:
                upload = File(handle, name=path.name)
                upload.size = path.stat().st_size
                checked = check_captions(upload)
            Caption.objects.create(
                lesson=lesson,
                language=language,
                file=ContentFile(checked.content.encode(), name="captions.vtt"),
            )

    def load_course(
        self, title, category, level, price, featured, instructor, tags, sections, *, age_days
    ):
        if Course.objects.filter(title=title).exists():
            return 0
        category_obj, _ = Category.objects.get_or_create(
            name=category,
            defaults={
                "slug": category.lower().replace(" ", "-"),
                "description": CATEGORIES[category],
            },
        )
        course = Course.objects.create(
            title=title,
            subtitle=f"A clear, practical introduction to {title.lower()}.",
            description=(
                f"{title} takes you step by step from the first ideas to confident practice. "
                "Every lesson is short, focused and followed by something to try yourself.\n\n"
                "Learn at your own pace: your progress is saved after every lesson."
            ),
            what_you_will_learn="\n".join(
                [
                    f"Understand the essentials of {title.split(' ')[0].lower()}",
                    "Apply what you learn in small exercises",
                    "Avoid the usual mistakes",
                    "Know where to go next",
                ]
            ),
            requirements="A computer with a modern browser\nCuriosity",
            category=category_obj,
            level=level,
            price=Decimal(price),
            price_decided=True,
            featured=featured,
            instructor=User.objects.get(email=instructor),
        )
        self.load_thumbnail(course)  # before publishing: the checklist asks for one
        course.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
        video_index = len(course.title)
        for s_index, section_title in enumerate(sections):
            section = Section.objects.create(course=course, title=section_title)
            for l_index in range(2 if s_index else 3):
                name = VIDEOS[video_index % len(VIDEOS)]
                video_index += 1
                lesson = Lesson(
                    section=section,
                    title=LESSON_TITLES[(s_index + l_index) % len(LESSON_TITLES)],
                    description="In this lesson we look at one idea closely and try it out.",
                    is_free_preview=(s_index == 0 and l_index == 0),
                )
                with (MEDIA / name).open("rb") as handle:
                    upload = File(handle, name=name)
                    upload.size = (MEDIA / name).stat().st_size
                    lesson.duration = inspect_video(upload).duration
                    lesson.video.save(name, upload, save=False)
                lesson.save()
                self.load_captions(lesson, name)
        course.published_at = timezone.now() - timedelta(days=age_days)
        course.publish()
        return 1
