"""An admin action that asks staff for a reason before it acts (hide a review, revoke a
certificate, ...): the first POST shows a small form, the second applies it."""

from django import forms
from django.contrib import messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse

from lms.lib.validators import no_control_characters


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=300, validators=[no_control_characters])


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
):
    """Ask for a reason, then call ``apply(obj, reason) -> bool`` for each selected row."""
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
            "objects": queryset,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "opts": modeladmin.model._meta,
        },
    )
