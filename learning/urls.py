from django.urls import path

from learning import quiz_views, views

app_name = "learning"

urlpatterns = [
    path("learn/", views.my_learning, name="my_learning"),
    path("courses/<slug:course_slug>/enrol/", views.enroll, name="enroll"),
    path("courses/<slug:course_slug>/unenrol/", views.unenroll, name="unenroll"),
    path("learn/<slug:course_slug>/", views.continue_course, name="continue"),
    path("learn/<slug:course_slug>/lessons/<int:lesson_pk>/", views.lesson, name="lesson"),
    path("learn/<slug:course_slug>/preview/<int:lesson_pk>/", views.preview, name="preview"),
    path("progress/<int:lesson_pk>/", views.save_progress, name="progress"),
    path("progress/<int:lesson_pk>/complete/", views.toggle_complete, name="complete"),
    path("quiz/<int:lesson_pk>/attempts/", quiz_views.submit, name="quiz_submit"),
    path("video/<int:lesson_pk>/", views.stream, name="stream"),
    path("certificates/<str:code>/", views.verify_certificate, name="verify_certificate"),
    path("certificates/<str:code>/pdf/", views.certificate_pdf, name="certificate_pdf"),
]
