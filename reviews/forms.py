from django import forms

from lms.lib.validators import no_control_characters
from reviews.models import Review, ReviewReport


class ReviewForm(forms.Form):
    """What a student writes; services.save_review stores it (create or edit).

    A plain form: a ModelForm would also run the model's unique and check-constraint
    validation, two more queries for what the service and the database enforce anyway.
    """

    rating = forms.TypedChoiceField(
        label="Your rating",
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "star-choice"}),
        error_messages={
            "required": "Choose a rating from 1 to 5 stars.",
            "invalid_choice": "Choose a rating from 1 to 5 stars.",
        },
    )
    text = forms.CharField(
        label="Your review (optional)",
        max_length=Review._meta.get_field("text").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 3000}),
        help_text="What did you like? What could be better? Plain text, up to 3,000 characters.",
    )


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label="Your public reply",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 3000}),
        help_text="Leave it empty to remove your reply.",
    )


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why should staff look at this review?",
        choices=ReviewReport.Reason.choices,
        error_messages={
            "required": "Choose why you are reporting this review.",
            "invalid_choice": "Choose why you are reporting this review.",
        },
    )
    details = forms.CharField(
        label="Details (optional)",
        max_length=500,
        required=False,
        validators=[no_control_characters],
    )
