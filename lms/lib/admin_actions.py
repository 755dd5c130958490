"""An admin action that asks staff for a reason before it acts (hide a review, revoke a
certificate, ...): the first POST shows a small form, the second applies it."""

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from lms.lib.validators import no_control_characters


class OneParagraphField(forms.CharField):
    """Text typed in a multi-line box, kept as one line: runs of whitespace, line breaks
    included, become one space (the reason is shown inside a sentence). Other control
    characters are still refused."""

    def to_python(self, value):
        return " ".join(super().to_python(value).split())


class ReasonForm(forms.Form):
    reason = OneParagraphField(
        max_length=300,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Up to 300 characters. Line breaks become spaces.",
    )


def with_reason(
    modeladmin,
    request,
    queryset,
    *,
    action: str,
    title: str,
    label: str,
    initial: str,
    explanation: str,
    apply,
    detail=None,
):
    """Ask for a reason, then call ``apply(obj, reason) -> bool`` for each selected row.

    The page lists the selected rows by their ``str``; ``detail(obj) -> str``, when
    given, adds what staff need to read before deciding (a review's text).
    """
    form = ReasonForm(
        request.POST if "apply" in request.POST else None, initial={"reason": initial}
    )
    form.fields["reason"].label = label
    if form.is_valid():
        changed = sum(bool(apply(obj, form.cleaned_data["reason"])) for obj in queryset)
        modeladmin.message_user(request, f"{title}: {changed} changed.", messages.SUCCESS)
        return None
    return TemplateResponse(
        request,
        "admin/reason_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "explanation": explanation,
            "items": [(obj, detail(obj) if detail else None) for obj in queryset],
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )
