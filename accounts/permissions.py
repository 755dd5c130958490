"""Role groups and their model permissions.

Who may do what is decided by the role properties on ``accounts.User``
(``is_instructor``, ``is_platform_staff``, ``can_author_courses``, ``can_moderate``);
the admin additionally needs Django model permissions, which the role groups carry.
Each app lists the permissions its models grant to each role in its AppConfig's
``role_permissions``; this module keeps the groups in step after every migrate.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission

from accounts.models import INSTRUCTORS_GROUP, STAFF_GROUP

ROLE_GROUPS = (INSTRUCTORS_GROUP, STAFF_GROUP)


def wanted_permissions(group_name: str):
    """The Permission queryset ``group_name`` should hold, from every app's declaration."""
    perms = Permission.objects.none()
    for config in global_apps.get_app_configs():
        declared = getattr(config, "role_permissions", {}).get(group_name)
        if not declared:
            continue
        app_perms = Permission.objects.filter(content_type__app_label=config.label)
        if declared != "__all__":
            app_perms = app_perms.filter(codename__in=declared)
        perms = perms | app_perms
    return perms


def sync_role_groups(**kwargs) -> None:
    """post_migrate receiver: create the role groups and set their permissions."""
    for name in ROLE_GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(wanted_permissions(name))
