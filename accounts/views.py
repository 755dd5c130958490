import json
from functools import wraps

from allauth.core import ratelimit
from allauth.headless import app_settings as headless_settings
from allauth.headless.account import views as headless_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import ProtectedError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services
from accounts.forms import (
    AppSignupInput,
    DeleteAccountForm,
    ProfileForm,
    TeachingApplicationForm,
)
from accounts.models import InstructorApplication, Profile


def _own_profile(request) -> Profile:
    return Profile.objects.select_related("user").get(user=request.user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def profile(request):
    own = _own_profile(request)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=own)
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile was saved.")
            return redirect("accounts:profile")
        messages.error(
            request, "Your profile was not saved: please correct the fields marked below."
        )
    else:
        form = ProfileForm(instance=own)
    applications = request.user.instructor_applications.all()[:5]
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "profile": own,
            "applications": applications,
            "pending_application": next(
                (a for a in applications if a.status == InstructorApplication.Status.PENDING), None
            ),
            "teaching_form": TeachingApplicationForm(),
        },
    )


@login_required
@require_POST
def apply_to_teach(request):
    form = TeachingApplicationForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Your request was not sent: " + " ".join(form.errors.get("motivation", []))
        )
    elif request.user.can_author_courses:
        messages.info(request, "You can already author courses.")
    else:
        services.apply_to_teach(user=request.user, motivation=form.cleaned_data["motivation"])
        messages.success(request, "Thanks! Staff will review your request to teach.")
    return redirect(reverse("accounts:profile") + "#teaching")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request):
    # The password check counts against allauth's reauthentication limit, per user.
    refused = ratelimit.consume_or_429(request, action="reauthenticate", user=request.user)
    if refused:
        return refused
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.delete_account(request=request, user=request.user)
        except ProtectedError:
            form.add_error(
                None,
                "You still own courses, so your account cannot be deleted yet: their "
                "students would lose them. Ask staff to give the courses to another "
                "instructor first. Nothing was deleted.",
            )
        else:
            messages.success(request, "Your account was deleted. We are sorry to see you go.")
            return redirect("home")
    return render(request, "accounts/delete_account.html", {"form": form})


def explain_unusable_code(view):
    """Wrap an allauth code-entry view so a dead code gets a clear message.

    allauth refuses an expired, used or abandoned code by silently sending the person
    back to the start (login or reset page). We add the sentence they need, unless
    allauth already said something (e.g. "Too many failed login attempts").
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        # Without the cache (where the attempt limits live) accounts.middleware refuses.
        told_before = len(messages.get_messages(request))
        response = view(request, *args, **kwargs)
        start_over = {
            reverse("account_login"),
            reverse("account_request_login_code"),
            reverse("account_reset_password"),
        }
        if (
            request.method == "POST"
            and response.status_code == 302
            and response.url in start_over
            and len(messages.get_messages(request)) == told_before
        ):
            messages.error(
                request,
                "That code can no longer be used: it has expired or was already used. "
                "Please start again to get a new code.",
            )
        return response

    return wrapped


# allauth's endpoints for apps that Lectern adjusts; lms/urls.py serves them at allauth's
# own paths, ahead of the rest of allauth's.
class AppSignupView(headless_views.SignupView):
    """Signup with Lectern's input: the page's extra fields (allauth adds those itself),
    the page's password checks, and its answer when a concurrent signup takes the address
    first (AppSignupInput)."""

    input_class = {"POST": AppSignupInput}


class AppChangePasswordView(headless_views.ChangePasswordView):
    """Changing the password keeps the app signed in, as on the web, with new tokens.

    Django gives the session a new key when its password changes (other sessions end,
    this one stays), and an app's tokens name their session's key: allauth's answer would
    leave the app with dead tokens and no new ones. The answer carries new ones, as after
    a login (``meta.access_token``, ``meta.refresh_token``).
    """

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200 and request.user.is_authenticated:
            tokens = headless_settings.TOKEN_STRATEGY.create_access_token_payload(request)
            body = json.loads(response.content)
            body.setdefault("meta", {}).update(tokens or {})
            response.content = json.dumps(body).encode()
        return response
