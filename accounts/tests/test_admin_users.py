"""Who may change whom in the user admin.

Staff manage students' and instructors' accounts. An account that holds staff rights (a
superuser, the staff role) is a superuser's to change: whoever may set its email or
password can take it over. Staff rights themselves are given by superusers only, by no
admin path (the change and add forms, actions, the password view, group editing).
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import INSTRUCTORS_GROUP, STAFF_GROUP, User
from accounts.permissions import sync_role_groups
from accounts.tests.factories import PASSWORD, StaffFactory

pytestmark = pytest.mark.django_db

ROLE_REFUSED = "Only a superuser can give the staff role."
# The add form's profile inline, empty: the profile is created with the user.
NO_PROFILE_FORMS = {
    "profile-TOTAL_FORMS": "0",
    "profile-INITIAL_FORMS": "0",
    "profile-MIN_NUM_FORMS": "0",
    "profile-MAX_NUM_FORMS": "1",
}


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root@example.com", PASSWORD)


@pytest.fixture
def other_superuser(db):
    return User.objects.create_superuser("root2@example.com", PASSWORD)


def change_url(user):
    return reverse("admin:accounts_user_change", args=[user.pk])


def password_url(user):
    return reverse("admin:auth_user_password_change", args=[user.pk])


def form_data(user, **changes):
    """What the change form posts for ``user`` as it stands, with ``changes`` applied."""
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        "is_superuser": "on" if user.is_superuser else "",
        "profile-TOTAL_FORMS": "1",
        "profile-INITIAL_FORMS": "1",
        "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1",
        "profile-0-id": user.profile.pk,
        "profile-0-user": user.pk,
        "profile-0-gender": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


NEW_PASSWORD = "a-Brand-new-passw0rd"


def new_password():
    return {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}


def privileges(user):
    user.refresh_from_db()
    return (
        user.role,
        user.is_staff,
        user.is_superuser,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


# --- Staff cannot take over an account with staff rights ----------------------------------
@pytest.mark.parametrize("target", ["superuser", "other_staff", "staff"])
def test_staff_cannot_change_an_account_with_staff_rights(client, request, staff, target):
    victim = StaffFactory() if target == "other_staff" else request.getfixturevalue(target)
    before = privileges(victim)
    client.force_login(staff)
    assert client.get(change_url(victim)).status_code == 200  # they may still look
    response = client.post(change_url(victim), form_data(victim, email="thief@example.com"))
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.email != "thief@example.com"
    assert privileges(victim) == before


def test_staff_cannot_reactivate_a_deactivated_superuser(client, staff, superuser):
    superuser.is_active = False
    superuser.save(update_fields=["is_active"])
    client.force_login(staff)
    response = client.post(change_url(superuser), form_data(superuser, is_active="on"))
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert not superuser.is_active


@pytest.mark.parametrize("target", ["superuser", "other_staff"])
def test_staff_cannot_set_the_password_of_an_account_with_staff_rights(
    client, request, staff, target
):
    victim = StaffFactory() if target == "other_staff" else request.getfixturevalue(target)
    client.force_login(staff)
    assert client.get(password_url(victim)).status_code == 403
    response = client.post(password_url(victim), new_password())
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)
    assert not victim.check_password(NEW_PASSWORD)


def allow_deleting_accounts(staff):
    """What a superuser would grant for staff to delete accounts (and their addresses)."""
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["delete_user", "delete_emailaddress"])
    )


def test_staff_cannot_delete_a_superuser_even_when_allowed_to_delete_users(
    client, staff, superuser
):
    allow_deleting_accounts(staff)
    client.force_login(staff)
    url = reverse("admin:accounts_user_delete", args=[superuser.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [superuser.pk], "post": "yes"},
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=superuser.pk).exists()


def test_staff_allowed_to_delete_accounts_delete_students(client, staff, student):
    allow_deleting_accounts(staff)
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "delete_selected", "_selected_action": [student.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=student.pk).exists()


# --- Staff cannot give staff rights ---------------------------------------------------
def test_staff_cannot_give_a_student_the_staff_role(client, staff, student):
    before = privileges(student)
    client.force_login(staff)
    response = client.post(change_url(student), form_data(student, role=User.Role.STAFF))
    assert response.status_code == 200
    assert ROLE_REFUSED in response.content.decode()
    assert privileges(student) == before


def test_staff_are_not_offered_the_staff_role(client, staff, student):
    client.force_login(staff)
    form = client.get(change_url(student)).context["adminform"].form
    assert User.Role.STAFF not in dict(form.fields["role"].choices)


def test_forged_privilege_fields_are_ignored(client, staff, student):
    """is_staff, is_superuser, groups and permissions are not fields staff may post."""
    before = privileges(student)
    sync_role_groups()
    client.force_login(staff)
    forged = form_data(
        student,
        first_name="Renamed",
        is_staff="on",
        is_superuser="on",
        groups=[Group.objects.get(name=STAFF_GROUP).pk],
        user_permissions=list(Permission.objects.values_list("pk", flat=True)[:50]),
    )
    response = client.post(change_url(student), forged)
    assert response.status_code == 302  # the ordinary change is saved ...
    student.refresh_from_db()
    assert student.first_name == "Renamed"
    assert privileges(student) == before  # ... and nothing else


def test_staff_cannot_add_users_with_staff_rights(client, staff):
    client.force_login(staff)
    url = reverse("admin:accounts_user_add")
    response = client.post(
        url,
        {
            "email": "mole@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": User.Role.STAFF,
            **NO_PROFILE_FORMS,
        },
    )
    assert response.status_code == 403
    assert not User.objects.filter(email="mole@example.com").exists()


def test_staff_given_add_permission_still_cannot_add_staff(client, staff):
    staff.user_permissions.add(Permission.objects.get(codename="add_user"))
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "mole@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": User.Role.STAFF,
            **NO_PROFILE_FORMS,
        },
    )
    assert response.status_code == 200
    assert ROLE_REFUSED in response.content.decode()
    assert not User.objects.filter(email="mole@example.com").exists()


def test_staff_cannot_edit_groups_or_their_permissions(client, staff):
    sync_role_groups()
    group = Group.objects.get(name=STAFF_GROUP)
    before = set(group.permissions.values_list("pk", flat=True))
    every_permission = list(Permission.objects.values_list("pk", flat=True))
    client.force_login(staff)
    for url in (
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_add"),
        reverse("admin:auth_group_change", args=[group.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": STAFF_GROUP, "permissions": every_permission},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("admin:auth_group_add"), {"name": "Root", "permissions": every_permission}
    )
    assert response.status_code == 403
    assert set(group.permissions.values_list("pk", flat=True)) == before
    assert not Group.objects.filter(name="Root").exists()


def test_the_staff_group_holds_no_power_over_groups_or_accounts_it_does_not_manage(db):
    sync_role_groups()
    perms = Group.objects.get(name=STAFF_GROUP).permissions
    assert not perms.filter(content_type__app_label="auth").exists()
    assert not perms.filter(codename__in=["add_user", "delete_user"]).exists()


# --- What staff still do ----------------------------------------------------------------
def test_staff_change_a_students_email_and_password(client, staff, student):
    client.force_login(staff)
    response = client.post(change_url(student), form_data(student, email="moved@example.com"))
    assert response.status_code == 302
    response = client.post(password_url(student), new_password())
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.email == "moved@example.com"
    assert student.check_password(NEW_PASSWORD)


def test_staff_make_an_instructor_a_student_again(client, staff, instructor):
    client.force_login(staff)
    response = client.post(change_url(instructor), form_data(instructor, role=User.Role.STUDENT))
    assert response.status_code == 302
    assert privileges(instructor) == (User.Role.STUDENT, False, False, [], [])


# --- Superusers do all of it -----------------------------------------------------------
def test_superuser_changes_another_superusers_email_and_password(
    client, superuser, other_superuser
):
    client.force_login(superuser)
    response = client.post(
        change_url(other_superuser), form_data(other_superuser, email="new-root@example.com")
    )
    assert response.status_code == 302
    assert client.post(password_url(other_superuser), new_password()).status_code == 302
    other_superuser.refresh_from_db()
    assert other_superuser.email == "new-root@example.com" and other_superuser.is_superuser
    assert other_superuser.check_password(NEW_PASSWORD)


def test_superuser_gives_and_takes_the_staff_role(client, superuser, student):
    client.force_login(superuser)
    response = client.post(change_url(student), form_data(student, role=User.Role.STAFF))
    assert response.status_code == 302
    assert privileges(student) == (User.Role.STAFF, True, False, [STAFF_GROUP], [])
    response = client.post(change_url(student), form_data(student, role=User.Role.INSTRUCTOR))
    assert response.status_code == 302
    assert privileges(student) == (User.Role.INSTRUCTOR, True, False, [INSTRUCTORS_GROUP], [])


def test_superuser_makes_a_staff_member_superuser(client, superuser):
    colleague = StaffFactory()
    client.force_login(superuser)
    response = client.post(change_url(colleague), form_data(colleague, is_superuser="on"))
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.is_superuser


def test_superuser_adds_a_staff_member(client, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "hire@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": User.Role.STAFF,
            **NO_PROFILE_FORMS,
        },
    )
    assert response.status_code == 302
    hire = User.objects.get(email="hire@example.com")
    assert privileges(hire) == (User.Role.STAFF, True, False, [STAFF_GROUP], [])
