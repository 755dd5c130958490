"""Where staff see background tasks, and failed ones: for platform staff only.

- The RQ queues (production): django-rq's dashboard at /admin/django_rq/dashboard/ —
  queued, scheduled (deferred retries), running, finished and failed jobs per queue,
  each failed one with its traceback, to requeue or delete; the workers and schedulers.
- The database backend's task results: *Admin → Django Tasks Database → Task results*,
  filterable by status (Failed), each with its traceback.

django-rq registers its dashboard for any ``is_staff`` user and django-tasks-db shows task
results to anyone with the model permission; instructors are ``is_staff`` too, and task
arguments name recipients. Both are registered here instead, for ``is_platform_staff``
(superusers and the staff role) only; RQ_SHOW_ADMIN_LINK=False keeps django-rq's own
registration out.
"""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import URLPattern
from django_rq.admin import QueueAdmin
from django_rq.models import Dashboard
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult


def platform_staff_only(view):
    """Refuse signed-in people who are not platform staff; leave the signed-out to the
    view (the admin's own wrapper sends them to log in, the JSON views answer 401)."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_platform_staff:
            raise PermissionDenied("Background tasks are for platform staff.")
        return view(request, *args, **kwargs)

    return guarded


class PlatformStaffOnly:
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_platform_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_platform_staff


class TaskQueuesAdmin(PlatformStaffOnly, QueueAdmin):
    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_view_permission(request, obj)  # the dashboard's links need it

    def get_urls(self):
        return [
            URLPattern(url.pattern, platform_staff_only(url.callback), url.default_args, url.name)
            for url in super().get_urls()
        ]


class TaskResultsAdmin(PlatformStaffOnly, DBTaskResultAdmin):
    pass


admin.site.register(Dashboard, TaskQueuesAdmin)
admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultsAdmin)
