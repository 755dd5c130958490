from allauth.account import forms as allauth_forms
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.headless.account import inputs as headless_inputs
from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import Profile, User
from accounts.signup import name_field
from lms.lib.files import process_image
from lms.lib.validators import available_time_zones


def sentence_case(text: str) -> str:
    """allauth's Title Case label in the site's sentence case: "Remember Me" -> "Remember
    me", "New Password (again)" -> "New password (again)". Acronyms and "Lectern" stay."""
    first, *rest = str(text).split(" ")
    keep = {"Lectern"}
    return " ".join(
        [first] + [w if w in keep or not w.istitle() or len(w) == 1 else w.lower() for w in rest]
    )


class SentenceCaseLabels:
    """Mix into an allauth form (before it) to give its labels and placeholders the site's
    sentence case; allauth writes them in Title Case. Composes with any other change to
    the same form: ``class LoginForm(SentenceCaseLabels, allauth_forms.LoginForm)``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if field.label:
                field.label = sentence_case(field.label)
            if field.widget.attrs.get("placeholder"):
                field.widget.attrs["placeholder"] = sentence_case(field.widget.attrs["placeholder"])


class ResetLinkBesidePassword:
    """\"Forgot your password?\" as a link of its own after the password field.

    allauth puts that link in the password field's help text (the login form's password,
    the change-password form's current password), which makes it the field's description
    (its aria-describedby: read out again on every visit to the field) and a small
    target. Here the field renders with the link after it
    (accounts/forms/login_password.html) and no description.
    """

    reset_link_after = "password"  # the field the link follows

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        password = self.fields.get(self.reset_link_after)
        if password is not None:
            password.help_text = ""
            password.template_name = "accounts/forms/login_password.html"


class LoginForm(SentenceCaseLabels, ResetLinkBesidePassword, allauth_forms.LoginForm):
    """allauth's login form ("Remember me"), the reset link beside the password."""


class ChangePasswordForm(
    SentenceCaseLabels, ResetLinkBesidePassword, allauth_forms.ChangePasswordForm
):
    """allauth's form ("Current password", "New password"), the reset link beside the
    current password."""

    reset_link_after = "oldpassword"


class ResetPasswordKeyForm(SentenceCaseLabels, allauth_forms.ResetPasswordKeyForm):
    """allauth's last step of a password reset ("New password")."""


class SavesOnceForItsAddress:
    """For allauth's signup forms (the web page's and the app API's input)."""

    def try_save(self, request):
        """Create the account, or answer as for a taken address if another signup just took it.

        allauth checks that the address is free while validating and saves afterwards; a
        concurrent signup for the same new address can save in between, and this save then
        breaks the unique email. Checking again sends allauth down its own branch for a
        taken address (ACCOUNT_PREVENT_ENUMERATION): the same redirect to the code page as
        a new signup, and an "account already exists" email. The user, profile, address
        and teaching request are saved together or not at all.
        """
        try:
            with transaction.atomic():
                return super().try_save(request)
        except IntegrityError:
            self.validate_unique_email(self.cleaned_data["email"])
            if not self.account_already_exists:
                raise  # not the address after all
            return super().try_save(request)


class SignupForm(SentenceCaseLabels, SavesOnceForItsAddress, allauth_forms.SignupForm):
    """allauth's signup page: email and passwords, and the fields Lectern adds to every
    signup (accounts.signup.SignupFields, allauth's ACCOUNT_SIGNUP_FORM_CLASS)."""

    field_order = ["first_name", "last_name", "email", "password1", "password2", "wants_to_teach"]


class AppSignupInput(SavesOnceForItsAddress, headless_inputs.SignupInput):
    """allauth's signup input for apps: the same fields and checks as the page.

    allauth checks an app's password without the account it is for, so a password like
    the email address would pass; the page checks it against the address, and so does this.
    """

    def clean_password(self):
        return self.cleaned_data["password"]  # checked in clean(), with the address

    def clean(self):
        cleaned_data = super().clean()
        password = cleaned_data.get("password")
        if password:
            would_be = User(email=cleaned_data.get("email") or "")
            try:
                get_account_adapter().clean_password(password, user=would_be)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return cleaned_data


def processed_avatar(upload):
    """An uploaded avatar checked by content and re-encoded (``process_image``), or None
    when nothing was uploaded. The profile page and the API's avatar upload use it."""
    if not upload:
        return None
    return process_image(
        upload,
        max_bytes=settings.AVATAR_MAX_BYTES,
        max_side=settings.AVATAR_MAX_SIDE,
        box=(settings.AVATAR_SIZE, settings.AVATAR_SIZE),
    )


AVATAR_HELP = "A JPEG, PNG, WebP or GIF image; it is cropped to a square."


# The regions of IANA names a person would look for their city under ("Europe/Lisbon");
# the old aliases ("US/Pacific", "Etc/GMT+5") stay valid but are not offered.
TIME_ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


def time_zone_choices(current: str = "") -> list:
    """The time zone select's options: the site's as the blank choice, then the IANA
    zones grouped by region, each by its name ("America/Argentina/Buenos Aires"), and
    UTC; ``current`` is added if it is a valid name outside those groups."""
    names = available_time_zones()
    groups: dict[str, list] = {region: [] for region in TIME_ZONE_REGIONS}
    for name in sorted(names):
        region, _, place = name.partition("/")
        if region in groups and place:
            groups[region].append((name, name.replace("_", " ")))
    other = [("UTC", "UTC")]
    if (
        current
        and current in names
        and current != "UTC"
        and not any(current == value for options in groups.values() for value, _ in options)
    ):
        other.append((current, current))
    return [
        ("", f"The site's time zone ({settings.TIME_ZONE})"),
        *[(region, options) for region, options in groups.items() if options],
        ("Other", other),
    ]


class ProfileForm(forms.ModelForm):
    first_name = name_field("given-name")
    last_name = name_field("family-name")
    avatar_upload = forms.FileField(
        label="New avatar",
        required=False,
        help_text=AVATAR_HELP,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
    )
    remove_avatar = forms.BooleanField(label="Remove my avatar", required=False)

    class Meta:
        model = Profile
        fields = ["display_name", "about", "date_of_birth", "gender", "phone", "time_zone"]
        labels = {"time_zone": "Time zone"}
        help_texts = {
            "time_zone": "Lessons of paced courses open at midnight in this time zone.",
        }
        widgets = {
            "about": forms.Textarea(attrs={"rows": 5}),
            "date_of_birth": forms.DateInput(
                attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"
            ),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        }

    field_order = [
        "first_name",
        "last_name",
        "display_name",
        "about",
        "date_of_birth",
        "gender",
        "phone",
        "time_zone",
        "avatar_upload",
        "remove_avatar",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["first_name"].initial = self.instance.user.first_name
        self.fields["last_name"].initial = self.instance.user.last_name
        if not self.instance.avatar:
            del self.fields["remove_avatar"]
        # A select of names; the model's validator accepts any zone this machine knows.
        self.fields["time_zone"].widget = forms.Select(
            choices=time_zone_choices(self.instance.time_zone)
        )

    def clean_avatar_upload(self):
        return processed_avatar(self.cleaned_data.get("avatar_upload"))

    def save(self, commit=True):
        profile = super().save(commit=False)
        user = profile.user
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        services.update_profile(
            profile=profile,
            avatar=self.cleaned_data.get("avatar_upload"),
            remove_avatar=self.cleaned_data.get("remove_avatar", False),
        )
        return profile


class AvatarForm(forms.Form):
    """A new avatar on its own (the API's upload); the same checks as the profile page's."""

    avatar = forms.FileField(help_text=AVATAR_HELP)

    def clean_avatar(self):
        return processed_avatar(self.cleaned_data["avatar"])


class TeachingApplicationForm(forms.Form):
    motivation = forms.CharField(
        label="What would you like to teach?",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.has_usable_password():
            raise forms.ValidationError(
                "Your account has no password yet. Set one first, then delete the account."
            )
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password. Nothing was deleted.")
        return password
