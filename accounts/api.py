"""Accounts endpoints of the JSON API (lms/api.py mounts this router at /api/v1/).

The caller's own profile, as the profile page shows and edits it: the same form (so the
same fields, limits and messages) and the same services. The email address, the
password and the role are not changed here: email and password through the auth
endpoints (allauth), the role only by staff.
"""

from datetime import datetime
from typing import Literal

from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from accounts import services
from accounts.forms import AvatarForm, ProfileForm
from accounts.models import InstructorApplication, Profile, User
from lms.lib.api import Input, OneLineText, PlainText, Problem, cleaned_or_422, token_auth

router = Router(tags=["Accounts"], auth=token_auth)


def _max_length(name: str) -> int:
    return ProfileForm.base_fields[name].max_length


# --- Schemas ----------------------------------------------------------------------------
class TeachingRequestOut(Schema):
    status: Literal[tuple(InstructorApplication.Status.values)]  # type: ignore[valid-type]
    created_at: datetime
    decided_at: datetime | None
    decision_note: str


class MeOut(Schema):
    id: int
    email: str
    first_name: str
    last_name: str
    display_name: str = Field(description="Shown on reviews; empty means the name is.")
    name: str = Field(description="The name others see: the display name, else the name.")
    role: Literal[tuple(User.Role.values)]  # type: ignore[valid-type]
    can_author_courses: bool
    about: str
    date_of_birth: str | None = Field(description="YYYY-MM-DD.")
    gender: Literal["", *Profile.Gender.values]  # type: ignore[valid-type]
    phone: str
    time_zone: str = Field(
        description="An IANA name (Europe/Lisbon): paced courses open lessons at midnight "
        "there. Empty: the site's."
    )
    avatar: str | None = Field(description="Absolute URL of the 256×256 WebP avatar.")
    date_joined: datetime
    teaching_request: TeachingRequestOut | None = Field(
        description="The latest request to teach, if any."
    )


class ProfileIn(Input):
    """Only the fields sent change. Anything else (`email`, `role`, `is_staff`,
    `id`, `avatar`) is refused with 422."""

    first_name: OneLineText = Field(None, max_length=_max_length("first_name"))
    last_name: OneLineText = Field(None, max_length=_max_length("last_name"))
    display_name: OneLineText = Field(None, max_length=_max_length("display_name"))
    about: PlainText = Field(None, max_length=_max_length("about"))
    date_of_birth: str | None = Field(
        None,
        description="YYYY-MM-DD; null clears it.",
        json_schema_extra={"format": "date"},
    )
    gender: Literal["", *Profile.Gender.values] = None  # type: ignore[valid-type]
    phone: str = Field(
        None,
        max_length=_max_length("phone"),
        description="Digits, optionally starting with +; spaces, dashes, dots and brackets "
        "are fine.",
    )
    time_zone: str = Field(
        None,
        max_length=64,
        description="An IANA time zone name (Europe/Lisbon); empty for the site's.",
    )


# --- Helpers ----------------------------------------------------------------------------
def own_profile(request) -> Profile:
    """The caller's profile with its user (one query)."""
    return Profile.objects.select_related("user").get(user=request.user)


def me_out(request, profile: Profile) -> dict:
    user = profile.user
    latest = user.instructor_applications.first()  # newest first; a pending one is newest
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": profile.display_name,
        "name": profile.public_name,
        "role": user.role,
        "can_author_courses": user.can_author_courses,
        "about": profile.about,
        "date_of_birth": profile.date_of_birth.isoformat() if profile.date_of_birth else None,
        "gender": profile.gender,
        "phone": profile.phone,
        "time_zone": profile.time_zone,
        "avatar": request.build_absolute_uri(profile.avatar.url) if profile.avatar else None,
        "date_joined": user.date_joined,
        "teaching_request": {
            "status": latest.status,
            "created_at": latest.created_at,
            "decided_at": latest.decided_at,
            "decision_note": latest.decision_note,
        }
        if latest
        else None,
    }


# --- Endpoints --------------------------------------------------------------------------
@router.get("/me", response={200: MeOut, 401: Problem}, operation_id="get_me")
def me(request):
    """The caller's account and profile, as the profile page shows them."""
    return me_out(request, own_profile(request))


@router.patch(
    "/me",
    response={200: MeOut, 401: Problem, 422: Problem},
    operation_id="update_me",
)
def update_me(request, payload: ProfileIn):
    """Change the profile fields the profile page lets a person change; only those sent.

    The profile page's form checks them (names one line, the date of birth not in the
    future nor before 1900, a phone number's shape, the gender's choices, lengths); a
    refused change saves nothing.
    """
    profile = own_profile(request)
    user = profile.user
    current = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "display_name": profile.display_name,
        "about": profile.about,
        "date_of_birth": profile.date_of_birth.isoformat() if profile.date_of_birth else "",
        "gender": profile.gender,
        "phone": profile.phone,
        "time_zone": profile.time_zone,
    }
    sent = payload.dict(exclude_unset=True)
    if sent.get("date_of_birth", "") is None:
        sent["date_of_birth"] = ""
    form = ProfileForm({**current, **sent}, instance=profile)
    cleaned_or_422(form)
    form.save()
    return me_out(request, profile)


@router.put(
    "/me/avatar",
    response={200: MeOut, 401: Problem, 422: Problem},
    operation_id="set_my_avatar",
)
def set_my_avatar(request, avatar: File[UploadedFile]):
    """Upload a new avatar (`multipart/form-data`, field `avatar`): a JPEG, PNG, WebP
    or GIF image, checked by its content like on the profile page, cropped to a square
    and stored as a 256×256 WebP. The previous file is deleted once the change is saved;
    a refused upload changes nothing."""
    data = cleaned_or_422(AvatarForm(files={"avatar": avatar}))
    profile = own_profile(request)
    services.change_avatar(profile=profile, avatar=data["avatar"])
    return me_out(request, profile)


@router.delete(
    "/me/avatar",
    response={204: None, 401: Problem},
    operation_id="delete_my_avatar",
)
def delete_my_avatar(request):
    """Remove the avatar and its file (nothing to remove is fine)."""
    services.change_avatar(profile=own_profile(request), avatar=None)
    return Status(204, None)
