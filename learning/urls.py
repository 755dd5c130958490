from django.urls import path

from learning import views

app_name = "learning"

urlpatterns = [
    path("learn/<slug:course_slug>/preview/<int:lesson_pk>/", views.preview, name="preview"),
    path("video/<int:lesson_pk>/", views.stream, name="stream"),
]
