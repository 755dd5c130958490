from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat

from video.captions import check_captions
from video.models import Caption


class CaptionFileInput(forms.ClearableFileInput):
    """Says a file is stored, never names or links it: private files have no URL, and
    the stored name is a random one."""

    template_name = "video/widgets/caption_file_input.html"

    def __init__(self, attrs=None):
        super().__init__({"accept": ".vtt,text/vtt", **(attrs or {})})

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))


class CaptionForm(forms.ModelForm):
    """A caption upload: checked and stored re-written (``video.captions``)."""

    class Meta:
        model = Caption
        fields = ["lesson", "language", "file"]
        widgets = {"file": CaptionFileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            f"A WebVTT (.vtt) file in UTF-8, at most {filesizeformat(settings.CAPTION_MAX_BYTES)}. "
            "Cue text may use WebVTT's tags (b, i, u, c, v, lang, ruby, rt); comments and "
            "STYLE blocks are dropped."
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload and hasattr(upload, "content_type"):  # a new upload
            checked = check_captions(upload)
            return ContentFile(checked.content.encode(), name="captions.vtt")
        return upload

    def clean(self):
        cleaned = super().clean()
        lesson = cleaned.get("lesson") or getattr(self.instance, "lesson", None)
        language = cleaned.get("language")
        if lesson is not None and language:
            others = Caption.objects.filter(lesson=lesson, language=language)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                # The constraint would refuse it at save (a 500): the page may have been
                # opened before another caption in this language was saved.
                self.add_error(
                    "language",
                    "This lesson already has captions in this language: replace that file instead.",
                )
        return cleaned
