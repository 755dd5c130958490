from django.urls import path

from video import views

app_name = "video"

# Mounted at /video/ (lms/urls.py). Every URL carries the viewer's token (?t= or ?app=).
urlpatterns = [
    # HLS delivery (video.delivery): one run of a lesson's rendition set.
    path("<int:lesson_pk>/<slug:run>/master.m3u8", views.master_playlist, name="master"),
    path("<int:lesson_pk>/<slug:run>/<slug:name>.m3u8", views.media_playlist, name="playlist"),
    path("<int:lesson_pk>/<slug:run>/key", views.key, name="key"),
    path("<int:lesson_pk>/<slug:run>/<slug:name>.ts", views.segment, name="segment"),
    path("<int:lesson_pk>/<slug:run>/poster.jpg", views.poster, name="poster"),
]
