import uuid
import zoneinfo
from datetime import date

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager, Group
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from lms.lib.files import FilesFollowRows
from lms.lib.validators import no_control_characters, time_zone_validator

INSTRUCTORS_GROUP = "Instructors"
STAFF_GROUP = "Staff"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True, role=User.Role.STAFF)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account. The email address is the login.

    ``role`` says what the person may do; ``is_staff`` (Django's admin gate) and the
    group memberships are derived from it by :meth:`set_role` and never set apart.
    """

    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        INSTRUCTOR = "instructor", "Instructor"
        STAFF = "staff", "Staff"

    username = None
    email = models.EmailField("email address", unique=True)
    # One line each: names reach email subjects ("Welcome to Lectern, {name}").
    first_name = models.CharField(
        "first name", max_length=150, blank=True, validators=[no_control_characters]
    )
    last_name = models.CharField(
        "last name", max_length=150, blank=True, validators=[no_control_characters]
    )
    role = models.CharField(max_length=16, choices=Role, default=Role.STUDENT)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    def save(self, *args, **kwargs):
        creating = self._state.adding
        with transaction.atomic():
            super().save(*args, **kwargs)
            if creating:
                Profile.objects.create(user=self)

    # --- Roles: the one place that decides who may do what ----------------------
    @property
    def is_instructor(self) -> bool:
        return self.is_active and self.role == self.Role.INSTRUCTOR

    @property
    def is_platform_staff(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == self.Role.STAFF)

    @property
    def can_author_courses(self) -> bool:
        return self.is_instructor or self.is_platform_staff

    @property
    def can_moderate(self) -> bool:
        return self.is_platform_staff

    def may_be_changed_by(self, actor: "User") -> bool:
        """Staff manage students' and instructors' accounts; an account with staff rights
        (a superuser or the staff role, active or not) is a superuser's to change, since
        whoever sets its email or password owns those rights."""
        return actor.is_superuser or not (self.is_superuser or self.role == self.Role.STAFF)

    @property
    def full_name(self) -> str:
        return self.get_full_name() or self.email.split("@")[0]

    def set_role(self, role: "User.Role") -> None:
        """Give the user ``role``: admin access and group membership follow it."""
        self.role = role
        self.is_staff = role in (self.Role.INSTRUCTOR, self.Role.STAFF)
        self.save(update_fields=["role", "is_staff"])
        wanted = {self.Role.INSTRUCTOR: INSTRUCTORS_GROUP, self.Role.STAFF: STAFF_GROUP}.get(role)
        role_groups = Group.objects.filter(name__in=[INSTRUCTORS_GROUP, STAFF_GROUP])
        self.groups.remove(*[g for g in role_groups if g.name != wanted])
        if wanted:
            group, _ = Group.objects.get_or_create(name=wanted)
            self.groups.add(group)


def avatar_upload_to(profile: "Profile", filename: str) -> str:
    return f"avatars/{uuid.uuid4().hex}.webp"


phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 ()\-.]{5,22}[0-9]$",
    "Enter a phone number of digits, optionally starting with + (spaces and dashes are fine).",
)


class Profile(FilesFollowRows):
    class Gender(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        NON_BINARY = "non_binary", "Non-binary"
        OTHER = "other", "Other"
        UNDISCLOSED = "undisclosed", "Prefer not to say"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    display_name = models.CharField(
        max_length=80,
        blank=True,
        help_text="Shown on your reviews. Defaults to your name.",
        validators=[no_control_characters],
    )
    about = models.TextField(max_length=2000, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=16, choices=Gender, blank=True)
    phone = models.CharField(max_length=24, blank=True, validators=[phone_validator])
    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[time_zone_validator],
        help_text="Where you are: paced lessons open at midnight here. Empty: the site's.",
    )
    welcomed_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self):
        return f"Profile of {self.user}"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        """The profile's time zone, else the site's (settings.TIME_ZONE)."""
        return zoneinfo.ZoneInfo(self.time_zone or settings.TIME_ZONE)

    @property
    def public_name(self) -> str:
        return self.display_name or self.user.full_name

    def clean(self):
        if self.date_of_birth:
            if self.date_of_birth > timezone.localdate():
                raise ValidationError({"date_of_birth": "The date of birth is in the future."})
            if self.date_of_birth < date(1900, 1, 1):
                raise ValidationError({"date_of_birth": "Enter a date after 1 January 1900."})

    def replace_avatar(self, content) -> None:
        """Store ``content`` (an already processed image); the old file goes on commit."""
        self.avatar.save(avatar_upload_to(self, ""), content, save=False)
        self.save(update_fields=["avatar"])

    def remove_avatar(self) -> None:
        if self.avatar:
            self.avatar = ""
            self.save(update_fields=["avatar"])


class InstructorApplication(models.Model):
    """A student's request to teach. Only staff turn it into the instructor role."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="instructor_applications"
    )
    motivation = models.TextField(max_length=2000, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(max_length=500, blank=True, validators=[no_control_characters])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one open application per person: a double submit files one.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="pending"),
                name="accounts_instructorapplication_one_pending_per_user",
            )
        ]

    def __str__(self):
        return f"{self.user} ({self.get_status_display()})"
