from decimal import Decimal

from django import forms
from django.conf import settings
from django.db import connection
from django.db.models import Q

from catalog.models import Category, Course, Lesson
from catalog.video import inspect_video
from lms.lib.files import ensure_room, process_image

DURATIONS = {
    "short": ("Under 1 hour", Q(total_duration__lt=3600)),
    "medium": ("1–5 hours", Q(total_duration__gte=3600, total_duration__lte=5 * 3600)),
    "long": ("Over 5 hours", Q(total_duration__gt=5 * 3600)),
}
SORTS = {
    "newest": ("Newest", ["-published_at", "-pk"]),
    "popular": ("Most popular", ["-enrollment_count", "-published_at", "-pk"]),
    "rating": ("Highest rated", ["-rating_score", "-rating_count", "-pk"]),
    "price_low": ("Price: low to high", ["price", "-published_at", "-pk"]),
    "price_high": ("Price: high to low", ["-price", "-published_at", "-pk"]),
}
RATINGS = {"4.5": "4.5 and up", "4": "4 and up", "3": "3 and up"}


class CatalogFilterForm(forms.Form):
    """The catalog's search, filters and sort, read from the query string.

    Invalid values are dropped (a shared link with a stale category still shows
    courses) rather than answered with an error page.
    """

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Search courses"}),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="All categories",
    )
    level = forms.ChoiceField(choices=[("", "Any level"), *Course.Level.choices], required=False)
    price = forms.ChoiceField(
        choices=[("", "Any price"), ("free", "Free"), ("paid", "Paid")], required=False
    )
    duration = forms.ChoiceField(
        choices=[("", "Any length"), *((k, v[0]) for k, v in DURATIONS.items())],
        required=False,
    )
    rating = forms.ChoiceField(choices=[("", "Any rating"), *RATINGS.items()], required=False)
    sort = forms.ChoiceField(choices=[(k, v[0]) for k, v in SORTS.items()], required=False)

    def __init__(self, data=None, *, fixed_category: Category | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.fixed_category = fixed_category
        if fixed_category is not None:
            del self.fields["category"]

    def filtered(self, courses):
        """Apply the valid parts of the query string to ``courses``."""
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        if self.fixed_category is not None:
            courses = courses.filter(category=self.fixed_category)
        elif data.get("category"):
            courses = courses.filter(category=data["category"])
        if data.get("level"):
            courses = courses.filter(level=data["level"])
        if data.get("price") == "free":
            courses = courses.filter(price=0)
        elif data.get("price") == "paid":
            courses = courses.filter(price__gt=0)
        if data.get("duration"):
            courses = courses.filter(DURATIONS[data["duration"]][1])
        if data.get("rating"):
            courses = courses.filter(rating_avg__gte=data["rating"], rating_count__gt=0)
        sort = data.get("sort") or "newest"
        if sort == "rating":
            courses = courses.with_rating_score()
        query = data.get("q", "").strip()
        if query:
            courses, ranked = search(courses, query)
            if ranked and not self.data.get("sort"):
                return courses.order_by("-rank", *SORTS["newest"][1])
        return courses.order_by(*SORTS[sort][1])

    @property
    def active_filters(self) -> bool:
        return any(
            self.data.get(name)
            for name in ("q", "category", "level", "price", "duration", "rating")
        )


def search(courses, query: str):
    """Full-text search on PostgreSQL (ranked), a plain substring match elsewhere.

    Returns (queryset, ranked).
    """
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = (
            SearchVector("title", weight="A", config="english")
            + SearchVector("subtitle", weight="B", config="english")
            + SearchVector("description", weight="C", config="english")
        )
        search_query = SearchQuery(query, search_type="websearch", config="english")
        # ts_rank is never 0 (1e-20 for no match): filter with @@, rank only to sort.
        return (
            courses.annotate(search=vector, rank=SearchRank(vector, search_query)).filter(
                Q(search=search_query) | Q(title__icontains=query)
            ),
            True,
        )
    words = query.split()[:8]
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word) | Q(subtitle__icontains=word) | Q(description__icontains=word)
        )
    return courses.filter(condition), False


# --- Authoring in the admin --------------------------------------------------------------
class CourseAdminForm(forms.ModelForm):
    """The course's admin form. Two rules beyond the model's:

    - **The price is a decision.** While the instructor has not decided it
      (``Course.price_decided``), the field shows empty, not 0, and may stay empty (the
      course stays at 0, undecided). Any value typed in, 0 included, decides it.
    - **Publishing follows the checklist** (``Course.publish_checklist``), judged on the
      values being saved: a description typed in the same save counts. A course already
      published may be saved while an item it lacked before stays missing (courses
      published before the checklist existed), but a save may not take away something
      the checklist asks for (emptying its description, say) while it stays published.
    """

    class Meta:
        model = Course
        fields = [
            "title",
            "slug",
            "subtitle",
            "category",
            "tags",
            "level",
            "language",
            "price",
            "thumbnail",
            "description",
            "what_you_will_learn",
            "requirements",
            "status",
            "featured",
            "lessons_wait_for_video",
            "instructor",
        ]
        widgets = {"subtitle": forms.TextInput(attrs={"size": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        price = self.fields.get("price")
        if price is not None:
            price.required = False
            price.help_text = "0 means free. Leave it empty until you have decided."
            if not self.instance.price_decided:
                self.initial["price"] = None  # empty, not a 0 that looks decided

    def clean_thumbnail(self):
        upload = self.cleaned_data.get("thumbnail")
        if not upload or not hasattr(upload, "content_type"):
            return upload  # unchanged or cleared
        processed = process_image(
            upload,
            max_bytes=settings.THUMBNAIL_MAX_BYTES,
            max_side=8000,
            box=settings.THUMBNAIL_SIZE,
        )
        processed.name = "thumbnail.webp"
        return processed

    def clean_price(self):
        price = self.cleaned_data.get("price")
        self.price_given = price is not None
        return Decimal("0.00") if price is None else price

    def clean(self):
        cleaned = super().clean()
        # The checklist as saved, before this form's values reach the instance.
        self.missing_before = (
            {item.key for item in self.instance.publish_checklist() if not item.done}
            if self.instance.is_published
            else None
        )
        return cleaned

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the submitted values
        course = self.instance
        if "price" in self.cleaned_data:
            course.price_decided = self.price_given
        if self.cleaned_data.get("status") != Course.Status.PUBLISHED:
            return
        missing = [item for item in course.publish_checklist() if not item.done]
        before = getattr(self, "missing_before", None)
        if before is None:  # publishing now: every item counts
            if missing:
                self.add_error(
                    "status",
                    "This course cannot be published yet: "
                    f"{'; '.join(item.problem for item in missing)}. "
                    "Save it as a draft, or do these first (see the checklist at the top).",
                )
        elif lost := [item for item in missing if item.key not in before]:
            self.add_error(
                "status",
                "A published course needs this: "
                f"{'; '.join(item.problem for item in lost)}. "
                "Put it back, or save the course as a draft to take it off the catalog.",
            )


class PrivateFileInput(forms.ClearableFileInput):
    """Shows the current file's name, never a URL: private files have none."""

    template_name = "catalog/widgets/private_file_input.html"

    def __init__(self, attrs=None):
        super().__init__(
            {"accept": "video/mp4,video/webm,video/x-m4v,.mp4,.m4v,.webm", **(attrs or {})}
        )

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))


ARTICLE_HELP = (
    "Markdown: # for a heading, **bold**, *italic*, - for a list, 1. for a numbered "
    "list, [text](https://…) for a link, `code`, and a line of ``` before and after a "
    "block of code. HTML is shown as text, not run. The reading time (200 words a "
    "minute) is counted when you save."
)


class LessonAdminForm(forms.ModelForm):
    """A lesson's own page (and the section page's lesson rows). What it edits follows
    the lesson's kind, fixed when it was added: a video lesson's file, an article's
    text; a quiz's questions are edited in the quiz editor. A field the admin shows for
    another kind (the section page lists every lesson with a video field) is disabled.
    Publishing needs what the kind needs (``Lesson.publish_problem``)."""

    class Meta:
        model = Lesson
        fields = [
            "section",
            "title",
            "description",
            "body",
            "video",
            "is_free_preview",
            "is_published",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "body": forms.Textarea(attrs={"rows": 24, "class": "lectern-article-editor"}),
        }
        help_texts = {"body": ARTICLE_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.instance.kind
        for name, owner in (("video", Lesson.Kind.VIDEO), ("body", Lesson.Kind.ARTICLE)):
            if name in self.fields and kind != owner:
                self.fields[name].disabled = True

    def clean_video(self):
        upload = self.cleaned_data.get("video")
        if upload and hasattr(upload, "content_type"):  # a new upload
            self._video_info = inspect_video(upload)
            ensure_room(Lesson.video.field.storage, [upload])
        return upload

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("is_published"):
            return cleaned
        kind = self.instance.kind
        if kind == Lesson.Kind.ARTICLE:
            body = cleaned.get("body", self.instance.body)
            if not body.strip() and "body" not in self.errors:
                field = "body" if "body" in self.fields else "is_published"
                self.add_error(field, "A published article needs its text.")
        elif kind == Lesson.Kind.QUIZ:
            problem = self.instance.publish_problem() if self.instance.pk else ""
            if problem:
                self.add_error("is_published", problem)
        # An upload already refused has its own message; "needs a video" would be noise.
        elif not cleaned.get("video") and "video" not in self.errors:
            self.add_error("video", "A published lesson needs a video.")
        return cleaned

    def save(self, commit=True):
        info = getattr(self, "_video_info", None)
        if info is not None:
            self.instance.duration = info.duration
        elif self.instance.kind == Lesson.Kind.VIDEO and not self.cleaned_data.get("video"):
            self.instance.duration = 0
        return super().save(commit)  # an article's reading time: Lesson.save


class LessonFormSet(forms.BaseInlineFormSet):
    def clean(self):
        """Videos added together must fit on the disk together, not only one by one."""
        super().clean()
        uploads = [
            form.cleaned_data["video"]
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and hasattr(form.cleaned_data.get("video"), "content_type")  # a new upload
        ]
        if len(uploads) > 1:
            ensure_room(Lesson.video.field.storage, uploads)
