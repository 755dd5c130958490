import math
import uuid
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Count, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from catalog.signals import lessons_changed
from lms.lib.files import FilesFollowRows
from lms.lib.page_cache import bump_catalog_version
from lms.lib.validators import no_control_characters


def private_storage():
    """Lesson videos live here: never served at a public URL (see learning.streaming)."""
    return storages["private"]


def unique_slug(model, value: str, *, max_length: int = 80, exclude_pk=None) -> str:
    base = slugify(value)[: max_length - 9] or "item"
    slug, n = base, 2
    others = model._default_manager.exclude(pk=exclude_pk) if exclude_pk else model._default_manager
    while others.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


class CategoryQuerySet(models.QuerySet):
    def with_course_counts(self):
        """Annotate ``n_courses``: how many published courses each category holds."""
        return self.annotate(
            n_courses=Count("courses", filter=Q(courses__status=Course.Status.PUBLISHED))
        ).order_by("name")


class Category(models.Model):
    name = models.CharField(max_length=80, unique=True, validators=[no_control_characters])
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(max_length=1000, blank=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalog:category", args=[self.slug])


class Tag(models.Model):
    name = models.CharField(max_length=40, unique=True, validators=[no_control_characters])
    slug = models.SlugField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Tag, self.name, max_length=40)
        super().save(*args, **kwargs)


RATING_PRIOR_MEAN = 3.5
RATING_PRIOR_WEIGHT = 5


def of_editable_courses(queryset, user, course_path: str = "pk"):
    """The rows of ``queryset`` whose course (reached by ``course_path``) ``user`` may
    author: the admin's and the dashboard's scoping. Staff: everything, without the join.
    """
    if user.is_platform_staff:
        return queryset
    return queryset.filter(**{f"{course_path}__in": Course.objects.editable_by(user)})


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Course.Status.PUBLISHED)

    def editable_by(self, user):
        """Courses ``user`` may author: their own; all of them for staff."""
        if not user.is_authenticated or not user.can_author_courses:
            return self.none()
        if user.is_platform_staff:
            return self
        return self.filter(instructor=user)

    def with_rating_score(self):
        """Annotate ``rating_score``: a Bayesian average that needs many reviews to rank high.

        score = (mean × n + PRIOR_MEAN × PRIOR_WEIGHT) ÷ (n + PRIOR_WEIGHT). One 5-star
        review scores 3.75, fifty 4.6-star reviews score 4.55. Pages show the plain mean.
        """
        return self.annotate(
            rating_score=ExpressionWrapper(
                (F("rating_avg") * F("rating_count") + RATING_PRIOR_MEAN * RATING_PRIOR_WEIGHT)
                / (F("rating_count") + RATING_PRIOR_WEIGHT),
                output_field=models.FloatField(),
            )
        )

    def for_listing(self):
        """What a course card shows, in one query."""
        return self.select_related("category", "instructor__profile")

    def refresh_lesson_stats(self) -> int:
        """Recount published lessons and their duration for these courses, in one UPDATE."""
        lessons = Lesson.objects.filter(section__course=OuterRef("pk"), is_published=True)
        count = lessons.order_by().values("section__course").annotate(n=Count("pk")).values("n")
        seconds = (
            lessons.order_by().values("section__course").annotate(s=Sum("duration")).values("s")
        )
        updated = self.update(
            lesson_count=Coalesce(Subquery(count), 0),
            total_duration=Coalesce(Subquery(seconds), 0),
        )
        bump_catalog_version()  # an UPDATE sends no post_save: public pages show these
        return updated


class ChecklistItem(NamedTuple):
    """One thing a course needs before it may be published (``Course.publish_checklist``)."""

    key: str
    label: str  # what to do, as a link text: "Write a description"
    done: bool
    hint: str  # why it matters, one sentence
    anchor: str  # where on the course's admin page it is done ("#id_description")
    problem: str  # the same, inside a sentence: "… cannot be published: write a description"


class Course(FilesFollowRows):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Level(models.TextChoices):
        BEGINNER = "beginner", "Beginner"
        INTERMEDIATE = "intermediate", "Intermediate"
        ADVANCED = "advanced", "Advanced"
        ALL = "all", "All levels"

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        SPANISH = "es", "Spanish"
        FRENCH = "fr", "French"
        GERMAN = "de", "German"
        PORTUGUESE = "pt", "Portuguese"
        OTHER = "other", "Other"

    class Pacing(models.TextChoices):
        FREE = "free", "Free: any lesson in any order"
        SEQUENTIAL = "sequential", "Sequential: a lesson opens when the one before is complete"
        DRIP = "drip", "Drip: each section opens a number of days after enrolment"

    # Single-line text (titles reach email subjects) refuses line breaks.
    title = models.CharField(max_length=120, validators=[no_control_characters])
    slug = models.SlugField(max_length=80, unique=True, blank=True)
    subtitle = models.CharField(max_length=200, blank=True, validators=[no_control_characters])
    description = models.TextField(max_length=10_000, blank=True)
    what_you_will_learn = models.TextField(
        "what you'll learn", max_length=3000, blank=True, help_text="One point per line."
    )
    requirements = models.TextField(max_length=3000, blank=True, help_text="One point per line.")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="courses")
    tags = models.ManyToManyField(Tag, blank=True, related_name="courses")
    level = models.CharField(max_length=16, choices=Level, default=Level.BEGINNER)
    language = models.CharField(max_length=8, choices=Language, default=Language.ENGLISH)
    # An instructor with courses cannot be deleted: the courses (and their students'
    # progress) would go with them. Staff reassign the courses first.
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses_taught"
    )
    price = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="0 means free.",
    )
    # Whether the instructor has set the price (0 included) rather than left the default:
    # the publish checklist asks for this decision.
    price_decided = models.BooleanField(default=False, editable=False)
    thumbnail = models.ImageField(upload_to="thumbnails/", blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    featured = models.BooleanField(default=False, help_text="Shown first on the home page.")
    lessons_wait_for_video = models.BooleanField(
        "publish lessons only when their video is ready",
        default=False,
        help_text="A lesson saved as published stays unpublished until its video has been "
        "prepared for streaming, then publishes itself. Until then students can't see it.",
    )
    pacing = models.CharField(
        max_length=16,
        choices=Pacing,
        default=Pacing.FREE,
        help_text="How lessons open to a student (learning.pacing). Staff and the "
        "instructor can unlock a lesson for one student.",
    )
    certificate_shows_quiz_score = models.BooleanField(
        "certificate shows the final quiz score",
        default=False,
        help_text="Print the best score of the course's last quiz on its certificates.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Summary fields for listings, kept in step inside the transaction that changes
    # what they summarise (refresh_lesson_stats here; enrolment and rating counts by
    # the learning and reviews apps through methods of this model).
    lesson_count = models.PositiveIntegerField(default=0, editable=False)
    total_duration = models.PositiveIntegerField(default=0, editable=False, help_text="Seconds.")
    enrollment_count = models.PositiveIntegerField(default=0, editable=False)
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_avg = models.DecimalField(max_digits=3, decimal_places=2, default=0, editable=False)
    # How many visible reviews gave 1, 2, 3, 4 and 5 stars (index 0 is one star).
    rating_histogram = models.JSONField(default=list, blank=True, editable=False)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="catalog_course_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="catalog_course_published_has_date",
            ),
        ]
        indexes = [
            # The catalog's default listing: published courses, newest first.
            models.Index(fields=["status", "-published_at"], name="catalog_course_listing_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Course, self.title, exclude_pk=self.pk)
        if self.status == self.Status.PUBLISHED and not self.published_at:
            self.published_at = timezone.now()  # the first publication, however it happens
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("catalog:course", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_free(self) -> bool:
        return self.price == 0

    def is_editable_by(self, user) -> bool:
        return user.is_authenticated and (
            user.is_platform_staff or (user.is_instructor and self.instructor_id == user.pk)
        )

    def is_visible_to(self, user) -> bool:
        return self.is_published or self.is_editable_by(user)

    def learning_points(self) -> list[str]:
        return [line.strip() for line in self.what_you_will_learn.splitlines() if line.strip()]

    def requirement_points(self) -> list[str]:
        return [line.strip() for line in self.requirements.splitlines() if line.strip()]

    def published_lessons(self):
        return Lesson.objects.filter(section__course=self, is_published=True)

    def curriculum(self, lessons=None):
        """Sections in order, each with its published lessons in order (two queries).

        ``lessons``: the Lesson queryset to start from, for a caller that joins more to
        each lesson (the player joins its video's rendition set)."""
        lessons = (Lesson.objects.all() if lessons is None else lessons).filter(is_published=True)
        lessons = lessons.order_by("order")
        return self.sections.order_by("order").prefetch_related(
            models.Prefetch("lessons", queryset=lessons, to_attr="published_lessons")
        )

    def publish_checklist(self) -> list["ChecklistItem"]:
        """What a course needs before it may be published, each item done or not: the one
        rule behind ``publish()``, the admin form's status field, the publish action and
        the checklist on the course's admin page. One query (the published lessons)."""
        has_lesson = bool(self.pk) and self.published_lessons().exists()
        return [
            ChecklistItem(
                "lesson",
                "Add a published lesson",
                has_lesson,
                "Students need something to watch or read: publish at least one lesson.",
                "#curriculum",
                "add at least one published lesson",
            ),
            ChecklistItem(
                "description",
                "Write a description",
                bool(self.description.strip()),
                "The course page shows it to everyone deciding whether to enrol.",
                "#id_description",
                "write a description",
            ),
            ChecklistItem(
                "thumbnail",
                "Add a thumbnail",
                bool(self.thumbnail),
                "The picture on the course's card in the catalog (16:9 looks best).",
                "#id_thumbnail",
                "add a thumbnail",
            ),
            ChecklistItem(
                "category",
                "Choose a category",
                self.category_id is not None,
                "Where students browsing the catalog find the course.",
                "#id_category",
                "choose a category",
            ),
            ChecklistItem(
                "price",
                "Decide the price",
                self.price_decided,
                "Set a price, or 0 to make the course free.",
                "#id_price",
                "decide the price (0 makes it free)",
            ),
        ]

    def publish_problems(self) -> list[str]:
        """Why the course cannot be published yet (empty when it can)."""
        return [item.problem for item in self.publish_checklist() if not item.done]

    def keep_free(self) -> None:
        """The checklist's one-click price decision: free, and decided."""
        self.price, self.price_decided = Decimal("0.00"), True
        self.save(update_fields=["price", "price_decided", "updated_at"])

    def publish(self) -> None:
        problems = self.publish_problems()
        if problems:
            raise ValidationError(f"“{self}” cannot be published: {'; '.join(problems)}.")
        self.status = self.Status.PUBLISHED
        self.save(update_fields=["status", "published_at", "updated_at"])

    def unpublish(self) -> None:
        self.status = self.Status.DRAFT
        self.save(update_fields=["status", "updated_at"])

    def refresh_lesson_stats(self) -> None:
        """Recount lessons and duration from the rows (call inside the changing transaction)."""
        Course.objects.filter(pk=self.pk).refresh_lesson_stats()
        self.refresh_from_db(fields=["lesson_count", "total_duration"])

    def change_enrollment_count(self, delta: int) -> None:
        """Add ``delta`` enrolments atomically (no lost update under concurrency)."""
        Course.objects.filter(pk=self.pk).update(enrollment_count=F("enrollment_count") + delta)

    def set_rating(self, *, average, count: int, histogram: list[int]) -> None:
        """Store the rating summary (the reviews app computes it in its transaction)."""
        self.rating_avg, self.rating_count, self.rating_histogram = average, count, histogram
        Course.objects.filter(pk=self.pk).update(
            rating_avg=average, rating_count=count, rating_histogram=histogram
        )
        bump_catalog_version()  # an UPDATE sends no post_save (a recompute changes no review)

    def rating_bars(self) -> list[tuple[int, int, int]]:
        """(stars, count, percent) from 5 down to 1, for the course page."""
        counts = (self.rating_histogram or [0] * 5) + [0] * 5
        total = self.rating_count or 0
        return [
            (stars, counts[stars - 1], round(counts[stars - 1] * 100 / total) if total else 0)
            for stars in range(5, 0, -1)
        ]


class OrderedQuerySet(models.QuerySet):
    def next_order(self) -> int:
        return (self.aggregate(m=Max("order"))["m"] or 0) + 1


def move(item, *, siblings, direction: int) -> bool:
    """Swap ``item`` with its neighbour above (-1) or below (+1) among ``siblings``.

    The unique (parent, order) constraint would reject a plain swap half-way, so the
    item parks on a free number first. Returns False at either end of the list.
    """
    with transaction.atomic():
        rows = list(siblings.select_for_update().order_by("order"))
        index = next(i for i, row in enumerate(rows) if row.pk == item.pk)
        other_index = index + direction
        if not 0 <= other_index < len(rows):
            return False
        mine, theirs = rows[index], rows[other_index]
        parking = rows[-1].order + 1
        a, b = mine.order, theirs.order
        type(item).objects.filter(pk=mine.pk).update(order=parking)
        type(item).objects.filter(pk=theirs.pk).update(order=a)
        type(item).objects.filter(pk=mine.pk).update(order=b)
        item.order = b
        bump_catalog_version()  # UPDATEs send no post_save: the public curriculum changed
    return True


class Placement(NamedTuple):
    """Where a part is: its parent, its course and whether it counts as a published lesson."""

    parent_pk: int
    course_id: int
    published: bool


def lock_courses(*placements: Placement | None) -> None:
    """Lock the rows of these placements' courses, in pk order (opposite moves between two
    courses cannot deadlock): structure changes of a course take turns, so two saves
    never take the same free order number."""
    ids = {placement.course_id for placement in placements if placement is not None}
    courses = Course.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    list(courses.values_list("pk", flat=True))  # not exists(): its LIMIT 1 locks one row


class CoursePart(models.Model):
    """Abstract: a section or a lesson, numbered within its parent and part of a course.

    New parts go last, and so does a part given another parent (the admin's forms can
    move a lesson to another section, a section to another course); ``move`` swaps
    neighbours safely. Saving or deleting a part recounts the lesson summary of every
    course it touched in the same transaction, and when the lessons that count in a
    course changed, says so (``catalog.signals.lessons_changed``) for learning's rollups.
    """

    parent_field = ""  # "course" for sections, "section" for lessons
    order = models.PositiveIntegerField(editable=False)

    objects = OrderedQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        fields = kwargs.get("update_fields")
        with transaction.atomic():
            before = None if self._state.adding else self.placement_in_db()  # None: new
            moved = (
                before is not None
                and before.parent_pk != self.parent_pk
                and (fields is None or self.parent_field in fields)
            )
            if self.order is None or moved:  # last in its (new) parent
                lock_courses(self.placement(), before)
                self.order = self.siblings().next_order()
                if fields is not None:
                    kwargs["update_fields"] = {*fields, "order"}
            super().save(*args, **kwargs)
            self.counts_changed(before, self.placement())

    def delete(self, *args, **kwargs):
        course = self.owning_course()
        with transaction.atomic():
            result = super().delete(*args, **kwargs)
            course.refresh_lesson_stats()
            lessons_changed.send(sender=type(self), course_ids=[course.pk])
        return result

    @property
    def parent_pk(self) -> int:
        return getattr(self, f"{self.parent_field}_id")

    def siblings(self):
        return type(self)._default_manager.filter(**{f"{self.parent_field}_id": self.parent_pk})

    def owning_course(self) -> "Course":
        raise NotImplementedError

    def placement(self) -> Placement:
        raise NotImplementedError

    def placement_in_db(self) -> Placement | None:
        raise NotImplementedError

    def counts_changed(self, before: Placement | None, after: Placement) -> None:
        """Recount the courses a save touched; tell learning if their lessons changed.

        ``before`` is None for a new part: it holds no one's progress yet.
        """
        if before is None or before == after:
            return
        courses = {before.course_id, after.course_id}
        Course.objects.filter(pk__in=courses).refresh_lesson_stats()
        if before.course_id != after.course_id or before.published != after.published:
            lessons_changed.send(sender=type(self), course_ids=sorted(courses))

    def move(self, direction: int) -> bool:
        return move(self, siblings=self.siblings(), direction=direction)


class Section(CoursePart):
    parent_field = "course"
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=120, validators=[no_control_characters])
    opens_after_days = models.PositiveSmallIntegerField(
        "opens after (days)",
        default=0,
        validators=[MaxValueValidator(3650)],
        help_text="In a drip-paced course: days after a student's enrolment before this "
        "section opens (at midnight in the student's time zone). 0: at once.",
    )

    class Meta:
        ordering = ["course", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "order"], name="catalog_section_course_order_uniq"
            )
        ]

    def __str__(self):
        return self.title

    def owning_course(self) -> Course:
        return self.course

    def placement(self) -> Placement:
        return Placement(self.course_id, self.course_id, True)

    def placement_in_db(self) -> Placement | None:
        course_id = Section.objects.filter(pk=self.pk).values_list("course", flat=True).first()
        return None if course_id is None else Placement(course_id, course_id, True)


READING_WORDS_PER_MINUTE = 200


def reading_seconds(text: str) -> int:
    """An article's reading time: its words at 200 a minute, in whole minutes rounded up
    (at least one); 0 for no text."""
    from catalog.markdown import word_count

    words = word_count(text)
    return 60 * max(1, math.ceil(words / READING_WORDS_PER_MINUTE)) if words else 0


class LessonQuerySet(OrderedQuerySet):
    def with_question_count(self):
        """Annotate ``question_count``: a quiz lesson's questions (0 for other kinds), in
        the query that loads the lessons."""
        questions = (
            Question.objects.filter(quiz__lesson=OuterRef("pk"))
            .order_by()
            .values("quiz__lesson")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(question_count=Coalesce(Subquery(questions), 0))


def video_upload_to(lesson: "Lesson", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "mp4"
    return f"videos/{uuid.uuid4().hex}.{extension}"


class Lesson(FilesFollowRows, CoursePart):
    """One lesson in a section (the seed's "subsection"): a video, an article or a quiz."""

    class Kind(models.TextChoices):
        VIDEO = "video", "Video"
        ARTICLE = "article", "Article"
        QUIZ = "quiz", "Quiz"

    parent_field = "section"
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="lessons")
    kind = models.CharField(max_length=8, choices=Kind, default=Kind.VIDEO)
    title = models.CharField(max_length=120, validators=[no_control_characters])
    description = models.TextField(max_length=5000, blank=True)
    body = models.TextField(
        "article",
        max_length=100_000,
        blank=True,
        help_text="An article lesson's text, in Markdown (rendered safely: no HTML runs).",
    )
    video = models.FileField(storage=private_storage, upload_to=video_upload_to, blank=True)
    duration = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text="Seconds: read from a video file; an article's reading time.",
    )
    is_free_preview = models.BooleanField(
        "free preview", default=False, help_text="Anyone may watch it without enrolling."
    )
    is_published = models.BooleanField("published", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["section", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "order"], name="catalog_lesson_section_order_uniq"
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """An article's duration is its reading time, a quiz's is 0 (its length depends
        on the student; the course page shows its number of questions instead); a
        video's comes from its file (catalog.forms, catalog.uploads)."""
        if self.kind == self.Kind.ARTICLE:
            self.duration = reading_seconds(self.body)
        elif self.kind == self.Kind.QUIZ:
            self.duration = 0
        fields = kwargs.get("update_fields")
        if fields is not None and {"body", "kind"} & set(fields):
            kwargs["update_fields"] = {*fields, "duration"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.kind == self.Kind.QUIZ and self.is_free_preview:
            raise ValidationError(
                {
                    "is_free_preview": "A quiz can't be a free preview: its questions are for "
                    "enrolled students."
                }
            )

    @property
    def reading_minutes(self) -> int:
        """An article's reading time in minutes, as "N min read" shows it."""
        return max(1, round(self.duration / 60)) if self.duration else 0

    def publish_problem(self) -> str:
        """Why this lesson cannot be published yet ("" when it can): a video lesson needs
        its video, an article its text, a quiz questions that can be answered
        (``catalog.quizzes.quiz_problems``: three queries)."""
        if self.kind == self.Kind.ARTICLE:
            if self.body.strip():
                return ""
            return (
                f"“{self}” has no text yet, so it cannot be published: open the lesson to "
                "write its article, then publish it."
            )
        if self.kind == self.Kind.QUIZ:
            from catalog.quizzes import quiz_problems

            quiz = Quiz.objects.filter(lesson=self).first()
            problems = ["The lesson has no quiz."] if quiz is None else quiz_problems(quiz)
            if not problems:
                return ""
            return (
                f"“{self}” cannot be published yet: {' '.join(problems)} Open the quiz to "
                "finish it, then publish it."
            )
        if self.video:
            return ""
        return (
            f"“{self}” has no video yet, so it cannot be published: open the lesson to "
            "upload one, then publish it."
        )

    def owning_course(self) -> Course:
        return self.section.course

    def placement(self) -> Placement:
        return Placement(self.section_id, self.section.course_id, self.is_published)

    def placement_in_db(self) -> Placement | None:
        row = (
            Lesson.objects.filter(pk=self.pk)
            .values_list("section", "section__course", "is_published")
            .first()
        )
        return None if row is None else Placement(*row)

    def counts_changed(self, before: Placement | None, after: Placement) -> None:
        # Any save may change the duration or what counts: this course is always recounted.
        self.section.course.refresh_lesson_stats()
        super().counts_changed(before, after)


class PendingUpload(models.Model):
    """A lesson video the browser is sending straight to the S3 bucket (a presigned POST).

    Made when Lectern signs the upload: it says who may turn the object at ``key`` into
    a lesson of ``section``, and until when. Completing the upload checks the object by
    its content, makes the lesson and deletes this row; a refused or abandoned upload's
    object is deleted with its row (``catalog.uploads``).
    """

    key = models.CharField(max_length=255, unique=True)
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="pending_uploads")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255, validators=[no_control_characters])
    size = models.PositiveBigIntegerField(help_text="Bytes, as the browser declared them.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return self.filename


class Quiz(models.Model):
    """The settings of a quiz lesson (``Lesson.kind == quiz``); its questions hang off it.

    Attempts (learning.QuizAttempt) keep a copy of the questions as asked, with their
    correct answers and the score as computed then: editing a quiz later bumps
    ``version`` and never changes what an earlier attempt meant.
    """

    class Review(models.TextChoices):
        SCORE = "score", "The score only"
        MISTAKES = "mistakes", "The score and which questions were wrong"
        FULL = "full", "The score, the correct answers and the explanations"

    lesson = models.OneToOneField(Lesson, on_delete=models.CASCADE, related_name="quiz")
    pass_mark = models.PositiveSmallIntegerField(
        "pass mark (%)", default=70, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        "attempts allowed",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Empty: unlimited.",
    )
    shuffle_questions = models.BooleanField(default=False)
    shuffle_choices = models.BooleanField("shuffle answers", default=False)
    must_pass = models.BooleanField(
        default=True,
        help_text="The lesson completes when the quiz is passed. Unticked: a practice quiz, "
        "complete once submitted.",
    )
    review = models.CharField(
        "after submitting, students see",
        max_length=16,
        choices=Review,
        default=Review.FULL,
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "quizzes"
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__gte=1, pass_mark__lte=100),
                name="catalog_quiz_pass_mark_range",
            ),
            models.CheckConstraint(
                condition=Q(max_attempts__isnull=True) | Q(max_attempts__gte=1),
                name="catalog_quiz_max_attempts_positive",
            ),
        ]

    def __str__(self):
        return f"Quiz: {self.lesson}"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "One correct answer"
        MULTIPLE = "multiple", "Several correct answers"
        TRUE_FALSE = "true_false", "True or false"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.SINGLE)
    text = models.TextField(max_length=2000)
    explanation = models.TextField(
        max_length=3000, blank=True, help_text="Shown after submitting, if the quiz says so."
    )

    class Meta:
        ordering = ["quiz", "order", "pk"]

    def __str__(self):
        return self.text[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(default=0)
    text = models.CharField("answer", max_length=500, validators=[no_control_characters])
    is_correct = models.BooleanField("correct", default=False)

    class Meta:
        ordering = ["question", "order", "pk"]

    def __str__(self):
        return self.text[:80]
