"""Account workflows that touch several models or have several callers."""

from allauth.usersessions.adapter import get_adapter as get_usersessions_adapter
from allauth.usersessions.models import UserSession
from django.contrib.auth import logout
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import InstructorApplication, Profile, User
from lms.lib.emails import absolute, queue_email


def update_profile(*, profile: Profile, avatar=None, remove_avatar: bool = False) -> None:
    """Save the profile and its user's names; swap or drop the avatar file."""
    with transaction.atomic():
        profile.user.save(update_fields=["first_name", "last_name"])
        profile.save(
            update_fields=["display_name", "about", "date_of_birth", "gender", "phone", "time_zone"]
        )
        if avatar is not None or remove_avatar:
            change_avatar(profile=profile, avatar=avatar)


def change_avatar(*, profile: Profile, avatar=None) -> None:
    """Store ``avatar`` (an image ``forms.processed_avatar`` made) or, with None, remove
    the avatar. The old file goes once this commits; the new one if it rolls back."""
    with transaction.atomic():
        if avatar is not None:
            profile.replace_avatar(avatar)
        else:
            profile.remove_avatar()


def pending_application(user: User) -> InstructorApplication | None:
    return user.instructor_applications.filter(status=InstructorApplication.Status.PENDING).first()


def apply_to_teach(*, user: User, motivation: str = "") -> InstructorApplication | None:
    """File a teaching request; a second request while one is pending returns that one.

    Returns None for users who already may author courses.
    """
    if user.can_author_courses:
        return None
    try:
        with transaction.atomic():
            application, _ = InstructorApplication.objects.get_or_create(
                user=user,
                status=InstructorApplication.Status.PENDING,
                defaults={"motivation": motivation},
            )
    except IntegrityError:  # a concurrent request filed it first
        application = pending_application(user)
    return application


@transaction.atomic
def decide_application(
    *, application: InstructorApplication, approve: bool, by: User, note: str = ""
) -> bool:
    """Approve (the user becomes an instructor) or reject a pending application.

    Returns False, changing nothing, when the application was already decided.
    """
    locked = InstructorApplication.objects.select_for_update().get(pk=application.pk)
    if locked.status != InstructorApplication.Status.PENDING:
        return False
    locked.status = (
        InstructorApplication.Status.APPROVED if approve else InstructorApplication.Status.REJECTED
    )
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    if approve and not locked.user.can_author_courses:
        locked.user.set_role(User.Role.INSTRUCTOR)
    return True


@transaction.atomic
def delete_account(*, request, user: User) -> None:
    """Delete the user and everything that is theirs alone, then log them out.

    Files (the avatar) go once the deletion commits. What is kept or deleted is listed
    in README.md ("Deleting an account").
    """
    user.delete()
    logout(request)


def welcome_on_first_verification(sender, request, email_address, **kwargs) -> None:
    """allauth's email_confirmed receiver: a welcome email, once per person.

    Changing the address later confirms again; ``welcomed_at`` keeps it to one welcome.
    """
    claimed = Profile.objects.filter(user=email_address.user, welcomed_at__isnull=True).update(
        welcomed_at=timezone.now()
    )
    if claimed:
        user = email_address.user
        queue_email(
            template="welcome",
            to=email_address.email,
            context={
                "name": user.first_name or user.profile.public_name,
                "courses_url": absolute(reverse("catalog:courses")),
                "profile_url": absolute(reverse("accounts:profile")),
            },
        )


def end_other_sessions_on_email_change(sender, request, user, **kwargs) -> None:
    """allauth's email_changed receiver: every other session of the account ends.

    Whoever controls the new address controls the account from now on, so a session
    (a browser, or an app's tokens, which live on a session) opened before the change
    does not outlive it; the session that made the change stays signed in.
    """
    current = request.session.session_key if request is not None else None
    others = UserSession.objects.filter(user_id=user.pk).exclude(session_key=current)
    get_usersessions_adapter().end_sessions(list(others))
