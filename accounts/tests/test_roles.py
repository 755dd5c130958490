from django.contrib.auth.models import Group

from accounts.models import INSTRUCTORS_GROUP, STAFF_GROUP, User
from accounts.permissions import sync_role_groups


def test_new_users_are_students_without_admin_access(student):
    assert student.role == User.Role.STUDENT
    assert not student.is_staff
    assert not student.is_instructor
    assert not student.can_author_courses
    assert not student.can_moderate
    assert not student.groups.exists()


def test_instructor_role_gives_scoped_admin_access(instructor):
    assert instructor.is_staff  # the admin's gate; what they see there is scoped by role
    assert instructor.is_instructor
    assert instructor.can_author_courses
    assert not instructor.is_platform_staff
    assert not instructor.can_moderate
    assert list(instructor.groups.values_list("name", flat=True)) == [INSTRUCTORS_GROUP]


def test_staff_role_moderates_and_authors(staff):
    assert staff.is_staff and staff.is_platform_staff and staff.can_moderate
    assert staff.can_author_courses
    assert list(staff.groups.values_list("name", flat=True)) == [STAFF_GROUP]


def test_superuser_counts_as_staff(db):
    admin = User.objects.create_superuser("root@example.com", "pw-123456789")
    assert admin.is_platform_staff and admin.role == User.Role.STAFF


def test_changing_role_moves_groups_and_admin_flag(instructor):
    instructor.set_role(User.Role.STUDENT)
    instructor.refresh_from_db()
    assert not instructor.is_staff
    assert not instructor.groups.exists()
    assert not instructor.can_author_courses


def test_deactivated_users_lose_every_role(staff):
    staff.is_active = False
    assert not staff.is_platform_staff
    assert not staff.can_author_courses


def test_role_groups_hold_the_declared_permissions(db):
    sync_role_groups()
    staff_perms = set(
        Group.objects.get(name=STAFF_GROUP).permissions.values_list("codename", flat=True)
    )
    assert {"change_user", "change_instructorapplication"} <= staff_perms
    assert "delete_user" not in staff_perms
    assert (
        not Group.objects.get(name=INSTRUCTORS_GROUP)
        .permissions.filter(content_type__app_label="accounts")
        .exists()
    )


def test_profile_is_created_with_the_user(db):
    user = User.objects.create_user("new@example.com", "pw-123456789")
    assert user.profile.pk is not None
    assert user.profile.public_name == "new"


def test_every_declared_role_permission_names_a_real_group_and_permission(db):
    """A typo in an app's ``role_permissions`` grants nothing, silently: "Instructor" for
    "Instructors" once left instructors unable to add coupons."""
    from django.apps import apps
    from django.contrib.auth.models import Permission

    from accounts.permissions import ROLE_GROUPS

    for config in apps.get_app_configs():
        for group, declared in getattr(config, "role_permissions", {}).items():
            assert group in ROLE_GROUPS, f"{config.label}: no role group is called {group!r}"
            if declared == "__all__":
                continue
            known = set(
                Permission.objects.filter(content_type__app_label=config.label).values_list(
                    "codename", flat=True
                )
            )
            assert set(declared) <= known, f"{config.label}: {set(declared) - known}"
