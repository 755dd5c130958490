"""The fields Lectern adds to signup, for the web form and the app API alike.

allauth builds both signup forms on ``ACCOUNT_SIGNUP_FORM_CLASS``: the web page's
(``accounts.forms.SignupForm``) and the headless API's input for apps (``POST
/api/v1/auth/app/v1/auth/signup``). Fields declared here are asked for, validated and
saved the same way on both, and appear in allauth's OpenAPI description of signup.

allauth imports this module while defining its own forms, so it must not import
``allauth.account.forms`` or ``accounts.forms`` (which does).
"""

from django import forms

from accounts import services
from lms.lib.validators import no_control_characters


def name_field(autocomplete: str) -> forms.CharField:
    """A required first or last name: the model's length and one-line rule (names reach
    email subjects). A plain form does not run the model's validators, so name them."""
    return forms.CharField(
        max_length=150,
        validators=[no_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
    )


class SignupFields(forms.Form):
    first_name = name_field("given-name")
    last_name = name_field("family-name")
    wants_to_teach = forms.BooleanField(
        required=False,
        label="I want to teach on Lectern",
        help_text="Staff review teaching requests; until then you have a student account.",
    )

    def signup(self, request, user) -> None:
        """Called by allauth once the user row exists (its adapter saved the names)."""
        if self.cleaned_data.get("wants_to_teach"):
            services.apply_to_teach(user=user)
