from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("courses/", views.course_list, name="courses"),
    path("courses/<slug:slug>/", views.course_detail, name="course"),
    path("categories/<slug:category_slug>/", views.course_list, name="category"),
    path("instructors/<int:pk>/", views.instructor_detail, name="instructor"),
]
