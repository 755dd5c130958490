from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("courses/<slug:course_slug>/reviews/", views.course_reviews, name="list"),
    path("courses/<slug:course_slug>/review/", views.submit_review, name="submit"),
    path("reviews/<int:pk>/delete/", views.delete_review, name="delete"),
    path("reviews/<int:pk>/report/", views.report_review, name="report"),
    path("reviews/<int:pk>/helpful/", views.mark_helpful, name="helpful"),
    path("reviews/<int:pk>/reply/", views.reply_to_review, name="reply"),
]
