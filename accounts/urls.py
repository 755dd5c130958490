from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/teach/", views.apply_to_teach, name="apply_to_teach"),
    path("delete/", views.delete_account, name="delete"),
]
