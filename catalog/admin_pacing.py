"""The course's pacing page in the admin: how its lessons open to students.

The instructor (or staff) chooses the course's pacing (``Course.Pacing``: free,
sequential, drip) and, for drip, each section's "opens after N days" (``Section.
opens_after_days``). learning.pacing applies the rule; this page only sets it. Unlocking a
lesson for one student is the learning app's (its LessonUnlock admin): the page links to
it by URL name, as catalog imports nothing of learning.

URL (GET shows, POST saves), under the course's admin URL:
``admin:catalog_course_pacing`` → ``<course id>/pacing/``. Someone else's course is a 404,
as on the change page.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from catalog.models import Course, Section

TEMPLATE = "admin/catalog/course/pacing.html"


class PacingForm(forms.ModelForm):
    class Meta:
        model = Course
        fields = ["pacing"]
        widgets = {"pacing": forms.RadioSelect}
        labels = {"pacing": "How lessons open"}


class SectionDaysForm(forms.ModelForm):
    class Meta:
        model = Section
        fields = ["opens_after_days"]
        widgets = {
            "opens_after_days": forms.NumberInput(
                attrs={"min": 0, "max": 3650, "step": 1, "aria-describedby": "days-help"}
            ),
        }


class BaseSectionDaysFormSet(forms.BaseModelFormSet):
    def clean(self):
        super().clean()
        known = {section.pk for section in self.get_queryset()}
        if any(form.instance.pk not in known for form in self.initial_forms):
            raise ValidationError(
                "The course's sections changed meanwhile: reload the page and try again."
            )


# Edits the course's sections only: no new ones, none deleted (the builder does that).
SectionDaysFormSet = forms.modelformset_factory(
    Section, form=SectionDaysForm, formset=BaseSectionDaysFormSet, extra=0, edit_only=True
)


class PacingMixin:
    def get_urls(self):
        return [
            path(
                "<int:object_id>/pacing/",
                self.admin_site.admin_view(self.pacing_view),
                name="catalog_course_pacing",
            ),
            *super().get_urls(),
        ]

    def pacing_view(self, request, object_id):
        course = get_object_or_404(self.get_queryset(request), pk=object_id)
        if not self.has_change_permission(request, course):
            raise PermissionDenied
        sections = course.sections.order_by("order")
        data = request.POST if request.method == "POST" else None
        form = PacingForm(data, instance=course)
        formset = SectionDaysFormSet(data, queryset=sections, prefix="sections")
        if data is not None and form.is_valid() and formset.is_valid():
            with transaction.atomic():
                form.save(commit=False).save(update_fields=["pacing", "updated_at"])
                for section_form in formset.initial_forms:  # this course's sections only
                    if section_form.has_changed():
                        section_form.instance.save(update_fields=["opens_after_days"])
            messages.success(
                request, f"Pacing of “{course}” saved: {course.get_pacing_display().lower()}."
            )
            return HttpResponseRedirect(reverse("admin:catalog_course_pacing", args=[course.pk]))
        if data is not None:
            messages.error(request, "Nothing was saved: correct the errors below.")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Pacing of “{course}”",
            "opts": self.model._meta,
            "original": course,
            "course": course,
            "form": form,
            "formset": formset,
            "rows": [(item.instance, item) for item in formset.initial_forms],
            "drip": Course.Pacing.DRIP,
            "has_view_permission": self.has_view_permission(request, course),
        }
        return TemplateResponse(request, TEMPLATE, context)
