from allauth.account import views as allauth_views
from allauth.account.decorators import secure_admin_login
from allauth.headless.constants import Client as HeadlessClient
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe

from accounts.views import AppChangePasswordView, AppSignupView, explain_unusable_code
from analytics import views as analytics_views
from lms import views
from lms.api import api
from lms.api import not_found as api_not_found

# The admin logs in through allauth: its rate limits and verified emails apply there too.
# Django's own login form would still check any account's password for a signed-in staff
# member (and switch to that account), unlimited: it takes no POST. Changing the password
# goes through allauth's page too (rate limited, with the "password changed" email).
admin.site.login = secure_admin_login(require_safe(admin.site.login))
admin.site.password_change = lambda request, extra_context=None: redirect("account_change_password")
admin.site.site_header = "Lectern administration"
admin.site.site_title = "Lectern admin"
admin.site.index_title = "Authoring and moderation"

urlpatterns = [
    path("", views.home, name="home"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    # allauth's code-entry pages, wrapped so an expired or used code is explained.
    path(
        "accounts/confirm-email/",
        explain_unusable_code(allauth_views.email_verification_sent),
        name="account_email_verification_sent",
    ),
    path(
        "accounts/login/code/confirm/",
        explain_unusable_code(allauth_views.confirm_login_code),
        name="account_confirm_login_code",
    ),
    path(
        "accounts/password/reset/confirm/",
        explain_unusable_code(allauth_views.confirm_password_reset_code),
        name="account_confirm_password_reset_code",
    ),
    path("accounts/", include("allauth.urls")),
    path("", include("catalog.urls")),
    path("", include("learning.urls")),
    path("", include("reviews.urls")),
    path("", include("payments.urls")),
    path("", include("video.urls")),
    # The token API: allauth's headless auth for apps, then Lectern's own endpoints.
    # Two of allauth's endpoints for apps, adjusted (accounts/views.py), in their place.
    path(
        "api/v1/auth/app/v1/auth/signup",
        AppSignupView.as_api_view(client=HeadlessClient.APP),
        name="api_auth_signup",
    ),
    path(
        "api/v1/auth/app/v1/account/password/change",
        AppChangePasswordView.as_api_view(client=HeadlessClient.APP),
        name="api_auth_change_password",
    ),
    path("api/v1/auth/", include("allauth.headless.urls")),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", api_not_found),
    path("admin/dashboard/", admin.site.admin_view(analytics_views.dashboard), name="dashboard"),
    path(
        "admin/dashboard/courses/<int:course_id>/students/",
        admin.site.admin_view(analytics_views.course_students),
        name="course_students",
    ),
    path(
        "admin/dashboard/quizzes/<int:lesson_id>/",
        admin.site.admin_view(analytics_views.quiz_statistics),
        name="quiz_stats",
    ),
    path("admin/", admin.site.urls),
]

if settings.BENCHMARK_ENDPOINTS:  # scripts/bench.py's yardstick; off unless asked for
    urlpatterns.append(path("bench/ok/", views.bare_ok, name="bench_ok"))

if settings.DEBUG:  # production serves media from S3 or the web server
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "lms.views.server_error"
