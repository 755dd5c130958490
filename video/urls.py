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

# Every URL carries the viewer's token (?t= or ?app=, learning.streaming).
urlpatterns = [
    path("video/<int:lesson_pk>/captions/<language:language>.vtt", views.caption, name="caption"),
    # HLS delivery (video.delivery): one run of a lesson's rendition set.
    path("video/<int:lesson_pk>/<slug:run>/master.m3u8", views.master_playlist, name="master"),
    path(
        "video/<int:lesson_pk>/<slug:run>/<slug:name>.m3u8", views.media_playlist, name="playlist"
    ),
    path("video/<int:lesson_pk>/<slug:run>/key", views.key, name="key"),
    path("video/<int:lesson_pk>/<slug:run>/<slug:name>.ts", views.segment, name="segment"),
    path("video/<int:lesson_pk>/<slug:run>/poster.jpg", views.poster, name="poster"),
]
