"""Every page a person can reach on Lectern, as data: where it is, who opens it, and what
they must do first. The accessibility, 320 px and HTML-validity checks all walk this one
list, so a new page is added here once and every check then covers it.

``build_site()`` makes demo-like data with the factories (two categories, free and paid
courses with sections, videos and a free preview, reviews with text and an instructor's
reply, a student halfway through one course and finished with another, so My learning,
the player and the certificate pages show what they show in real use). ``site_pages(site)``
lists the pages for that data.

The Django admin is left out, except the dashboard, which is ours: its pages have their own
walk (test_browser_admin_look.py), in both themes, as instructor and as staff.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.urls import reverse

from accounts.tests.factories import InstructorFactory, StaffFactory, UserFactory
from catalog.models import Course, Lesson, Tag
from catalog.tests.factories import CategoryFactory, LessonFactory, SectionFactory
from learning import services as learning
from learning.models import Certificate
from lms.demo_thumbnails import course_thumbnail
from payments import services as payments
from payments.models import Order
from payments.money import to_minor
from reviews import services as reviews

ANONYMOUS, STUDENT, STAFF = "anonymous", "student", "staff"

# The password the factories give every user (accounts.tests.factories.PASSWORD).
NEW_PASSWORD = "a-long-new-password-2026"


@dataclass(frozen=True)
class SitePage:
    """One page as ``actor`` sees it: a GET of ``path`` answering ``status``.

    ``before`` is a form POST the actor makes first, as a person would (requesting a
    login code before the code-entry page): ``(path, form data)``; it must be accepted
    (a redirect), not answered with the form again.
    """

    name: str
    actor: str
    path: str
    status: int = 200
    before: tuple[str, dict] | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.actor}, {self.path})"


@dataclass
class Site:
    """The data the pages show, and the people who open them."""

    users: dict = field(default_factory=dict)  # actor name -> User
    course: Course | None = None  # free, the student halfway through it
    finished: Course | None = None  # free, the student completed it (a certificate)
    paid: Course | None = None  # the student is not enrolled
    preview: Lesson | None = None  # the free preview of ``course``
    lesson: Lesson | None = None  # the lesson of ``course`` the student is on
    locked: Lesson | None = None  # a lesson of ``paid`` that is no free preview
    certificate: Certificate | None = None
    order: Order | None = None  # the student's pending order for ``paid`` (test provider)
    bought: Order | None = None  # the student's paid order for another paid course


def thumbnail(*, title, category):
    image = course_thumbnail(title=title, category=category)
    image.name = "thumbnail.webp"
    return image


def course_with_lessons(*, title, category, instructor, sections, price="0", featured=False):
    course = Course.objects.create(
        title=title,
        subtitle=f"A clear, practical introduction to {title.lower()}.",
        description=(
            f"{title} takes you step by step from the first ideas to confident practice. "
            "Every lesson is short, focused and followed by something to try yourself.\n\n"
            "Learn at your own pace: your progress is saved after every lesson."
        ),
        what_you_will_learn="Understand the essentials\nApply what you learn\nAvoid mistakes",
        requirements="A computer with a modern browser\nCuriosity",
        category=category,
        level=Course.Level.BEGINNER,
        price=Decimal(price),
        price_decided=True,
        featured=featured,
        instructor=instructor,
        # The demo's picture: the pages look as they do in real use (and publishing asks
        # for a thumbnail).
        thumbnail=thumbnail(title=title, category=category.name),
    )
    course.tags.set([Tag.objects.get_or_create(name="python", slug="python")[0]])
    for s_index, section_title in enumerate(sections):
        section = SectionFactory(course=course, title=section_title)
        for l_index in range(2):
            LessonFactory(
                section=section,
                title=f"{section_title}: part {l_index + 1}",
                description="In this lesson we look at one idea closely and try it out.",
                is_free_preview=(s_index == 0 and l_index == 0),
                with_video=True,
            )
    course.publish()
    return course


def build_site() -> Site:
    """Demo-like data, made with the factories (needs the database)."""
    site = Site()
    instructor = InstructorFactory(first_name="Ines", last_name="Instructor")
    instructor.profile.about = "Ines has taught programming to adults for twelve years."
    instructor.profile.save(update_fields=["about"])
    student = UserFactory(first_name="Sam", last_name="Student")
    site.users = {
        STUDENT: student,
        STAFF: StaffFactory(first_name="Stella", last_name="Staff"),
        "instructor": instructor,
    }
    programming = CategoryFactory(name="Programming", description="Write software that works.")
    data = CategoryFactory(name="Data Science", description="Statistics and analysis.")

    site.course = course_with_lessons(
        title="Python for Absolute Beginners",
        category=programming,
        instructor=instructor,
        sections=["Getting started", "Control flow"],
        featured=True,
    )
    site.finished = course_with_lessons(
        title="Practical Git", category=programming, instructor=instructor, sections=["Branches"]
    )
    site.paid = course_with_lessons(
        title="Statistics Without Tears",
        category=data,
        instructor=instructor,
        sections=["Describing data"],
        price="49",
    )
    lessons = list(site.course.published_lessons().order_by("section__order", "order"))
    site.preview, site.lesson = lessons[0], lessons[1]
    site.locked = site.paid.published_lessons().order_by("section__order", "order")[1]

    # The student: halfway through one course, finished with another (a certificate).
    learning.enroll(user=student, course=site.course)
    learning.set_completed(user=student, lesson=site.preview, completed=True)
    learning.enroll(user=student, course=site.finished)
    for lesson in site.finished.published_lessons():
        learning.set_completed(user=student, lesson=lesson, completed=True)
    reviews.save_review(user=student, course=site.finished, rating=5, text="Clear and short.")
    site.certificate = Certificate.objects.get(user=student, course=site.finished)

    # Other learners' reviews, one with the instructor's reply.
    for first, rating, text in [
        ("Ana", 5, "The exercises after each lesson made it stick."),
        ("Ben", 3, "Good, but I wanted more practice."),
    ]:
        learner = UserFactory(first_name=first, last_name="Learner")
        learning.enroll(user=learner, course=site.course)
        review, _ = reviews.save_review(user=learner, course=site.course, rating=rating, text=text)
    reviews.save_reply(review=review, user=instructor, text="Thank you: a practice set is coming.")

    # Buying: a paid order for one course, and a checkout under way for ``paid``.
    bought = course_with_lessons(
        title="SQL for Analysts", category=data, instructor=instructor, sections=["Queries"]
    )
    bought.price = Decimal("19.00")
    bought.save(update_fields=["price"])
    site.bought = payments.start_checkout(user=student, course=bought)
    payments.settle_paid(
        order=site.bought,
        amount_minor=to_minor(site.bought.amount, site.bought.currency),
        currency=site.bought.currency,
        reference=site.bought.provider_ref,
    )
    site.order = payments.start_checkout(user=student, course=site.paid)
    return site


def site_pages(site: Site) -> list[SitePage]:
    """Every page a person can reach, for the data of ``site``."""
    course, student = site.course, site.users[STUDENT]
    return [
        # Anyone
        SitePage("home", ANONYMOUS, reverse("home")),
        SitePage("catalog", ANONYMOUS, reverse("catalog:courses")),
        SitePage(
            "catalog, searched and filtered",
            ANONYMOUS,
            reverse("catalog:courses") + "?q=python&price=free&sort=rating",
        ),
        SitePage("category", ANONYMOUS, reverse("catalog:category", args=[course.category.slug])),
        SitePage("course", ANONYMOUS, course.get_absolute_url()),
        SitePage("paid course", ANONYMOUS, site.paid.get_absolute_url()),
        SitePage("course reviews", ANONYMOUS, reverse("reviews:list", args=[course.slug])),
        SitePage(
            "instructor", ANONYMOUS, reverse("catalog:instructor", args=[course.instructor_id])
        ),
        SitePage(
            "free preview",
            ANONYMOUS,
            reverse("learning:preview", args=[course.slug, site.preview.pk]),
        ),
        SitePage(
            "certificate verification",
            ANONYMOUS,
            reverse("learning:verify_certificate", args=[site.certificate.code]),
        ),
        SitePage("404 page", ANONYMOUS, "/no-such-page/", status=404),
        # Signing up and in
        SitePage("signup", ANONYMOUS, reverse("account_signup")),
        SitePage(
            "email verification code entry (after signing up)",
            ANONYMOUS,
            reverse("account_email_verification_sent"),
            before=(
                reverse("account_signup"),
                {
                    "first_name": "Nora",
                    "last_name": "New",
                    "email": "new.learner@example.com",
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                },
            ),
        ),
        SitePage("login", ANONYMOUS, reverse("account_login")),
        SitePage("login by code", ANONYMOUS, reverse("account_request_login_code")),
        SitePage(
            "login code entry (after requesting a code)",
            ANONYMOUS,
            reverse("account_confirm_login_code"),
            before=(reverse("account_request_login_code"), {"email": student.email}),
        ),
        SitePage("password reset", ANONYMOUS, reverse("account_reset_password")),
        SitePage(
            "password reset code entry (after requesting a code)",
            ANONYMOUS,
            reverse("account_confirm_password_reset_code"),
            before=(reverse("account_reset_password"), {"email": student.email}),
        ),
        # A student
        SitePage("course, enrolled", STUDENT, course.get_absolute_url()),
        SitePage("My learning", STUDENT, reverse("learning:my_learning")),
        SitePage("player", STUDENT, reverse("learning:lesson", args=[course.slug, site.lesson.pk])),
        SitePage(
            "403 page (a lesson of a course not enrolled in)",
            STUDENT,
            reverse("learning:preview", args=[site.paid.slug, site.locked.pk]),
            status=403,
        ),
        SitePage("profile", STUDENT, reverse("accounts:profile")),
        SitePage("delete account", STUDENT, reverse("accounts:delete")),
        SitePage("email addresses", STUDENT, reverse("account_email")),
        SitePage("change password", STUDENT, reverse("account_change_password")),
        SitePage("log out", STUDENT, reverse("account_logout")),
        # Buying a course (the built-in test provider)
        SitePage("checkout", STUDENT, reverse("payments:checkout", args=[site.paid.slug])),
        SitePage("test payment", STUDENT, reverse("payments:pay", args=[site.order.pk])),
        SitePage("payment processing", STUDENT, reverse("payments:return", args=[site.order.pk])),
        SitePage("payment done", STUDENT, reverse("payments:return", args=[site.bought.pk])),
        SitePage("orders", STUDENT, reverse("payments:orders")),
        SitePage("receipt", STUDENT, reverse("payments:order", args=[site.bought.pk])),
        # Staff
        SitePage("analytics dashboard", STAFF, reverse("dashboard")),
        SitePage("course students", STAFF, reverse("course_students", args=[course.pk])),
    ]
