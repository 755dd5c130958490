from django.urls import path, register_converter

from video import views


class LanguageConverter:
    """A language code as in settings.LANGUAGES: "en", "pt-br", "zh-hans", "sr-latn"."""

    regex = r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(LanguageConverter, "language")

app_name = "video"

urlpatterns = [
    path("video/<int:lesson_pk>/captions/<language:language>.vtt", views.caption, name="caption"),
]
