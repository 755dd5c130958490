"""Single-line text refuses line breaks and control characters wherever it is stored, so
no title or name can break an email header (Django drops such an email) or a one-line
layout. Every form, the admin and ``full_clean`` get the rule from the model field."""

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

from lms.lib.validators import no_control_characters

LECTERN_APPS = ["accounts", "catalog", "learning", "reviews", "analytics", "lms"]
FORGED = "Title\r\nBcc: victim@example.com"

# One-line text fields without the rule, and why they need none.
EXEMPT = {
    "accounts.User.password": "a hash Lectern computes, never shown or mailed",
    "accounts.User.email": "EmailValidator refuses whitespace",
    "accounts.Profile.phone": "its pattern allows digits, spaces and ( ) - . + only",
    "learning.Certificate.code": "generated, never typed",
}


def single_line_fields():
    """Every CharField of Lectern's models that holds free text (no choices, no slug)."""
    for app in LECTERN_APPS:
        for model in apps.get_app_config(app).get_models():
            for field in model._meta.get_fields():
                if (
                    isinstance(field, models.CharField)
                    and not isinstance(field, models.SlugField)
                    and not field.choices
                ):
                    yield f"{app}.{model.__name__}.{field.name}", field


def test_every_single_line_text_field_refuses_control_characters():
    undecided = [
        name
        for name, field in single_line_fields()
        if name not in EXEMPT and no_control_characters not in field.validators
    ]
    assert undecided == [], f"add no_control_characters to these, or to EXEMPT: {undecided}"


@pytest.mark.parametrize("name", [name for name, _ in single_line_fields() if name not in EXEMPT])
@pytest.mark.parametrize("value", [FORGED, "a\nb", "a\tb", "a\x00b", "a\x85b", "a\u2028b"])
def test_full_clean_refuses_control_characters(name, value):
    app, model_name, field_name = name.split(".")
    model = apps.get_model(app, model_name)
    others = [f.name for f in model._meta.get_fields() if f.name != field_name]
    with pytest.raises(ValidationError) as refused:
        model(**{field_name: value}).clean_fields(exclude=others)
    assert refused.value.message_dict[field_name] == [
        "Use one line of text: no line breaks, tabs or other control characters."
    ]


@pytest.mark.parametrize("value", ["Intro to Python", "Élodie Ångström", "日本語 😀", "C# & F#"])
def test_ordinary_text_passes(value):
    no_control_characters(value)  # raises if refused


def test_the_exempt_typed_fields_refuse_line_breaks_by_their_own_validators():
    user_model = apps.get_model("accounts", "User")
    profile_model = apps.get_model("accounts", "Profile")
    with pytest.raises(ValidationError):
        user_model._meta.get_field("email").run_validators("a@example.com\r\nBcc: b@example.com")
    with pytest.raises(ValidationError):
        profile_model._meta.get_field("phone").run_validators("+44 20\r\nBcc: x")


def test_the_apis_pattern_refuses_exactly_what_the_rule_refuses():
    """The API's schemas state the rule as a character class: it must match exactly the
    characters the validator refuses, every code point of them."""
    import re
    import sys

    from lms.lib.validators import CONTROL_CHARACTER_PATTERN

    pattern = re.compile(CONTROL_CHARACTER_PATTERN)
    for code in range(sys.maxunicode + 1):
        try:
            no_control_characters(chr(code))
            refused = False
        except ValidationError:
            refused = True
        assert (pattern.search(chr(code)) is not None) == refused, hex(code)
