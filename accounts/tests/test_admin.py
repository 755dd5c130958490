"""Staff decide teaching requests in the admin; nobody else reaches account admin pages."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import InstructorApplication, User

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_instructorapplication_changelist")


def act(client, action, applications):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [a.pk for a in applications]},
        follow=True,
    )


def test_staff_approve_makes_the_applicant_an_instructor(client, staff, student):
    application = services.apply_to_teach(user=student)
    client.force_login(staff)
    response = act(client, "approve", [application])
    assert "1 application(s) approved." in response.content.decode()
    student.refresh_from_db()
    assert student.role == User.Role.INSTRUCTOR and student.is_staff
    application.refresh_from_db()
    assert application.status == InstructorApplication.Status.APPROVED
    assert application.decided_by == staff


def test_staff_reject_keeps_the_student_a_student(client, staff, student):
    application = services.apply_to_teach(user=student)
    client.force_login(staff)
    act(client, "reject", [application])
    student.refresh_from_db()
    assert student.role == User.Role.STUDENT and not student.is_staff
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200


def test_a_decided_application_is_not_decided_twice(client, staff, student):
    application = services.apply_to_teach(user=student)
    client.force_login(staff)
    act(client, "reject", [application])
    response = act(client, "approve", [application])
    assert "already decided" in response.content.decode()
    student.refresh_from_db()
    assert student.role == User.Role.STUDENT


@pytest.mark.parametrize("actor", ["anonymous", "student", "instructor"])
def test_others_cannot_reach_account_admin(client, request, actor, student):
    application = services.apply_to_teach(user=student)
    user = request.getfixturevalue(actor)
    if user.is_authenticated:
        client.force_login(user)
    for url in (
        CHANGELIST,
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_change", args=[student.pk]),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
    act(client, "approve", [application])
    student.refresh_from_db()
    assert student.role == User.Role.STUDENT


def test_staff_changing_a_role_in_the_admin_syncs_access(client, staff, student):
    client.force_login(staff)
    url = reverse("admin:accounts_user_change", args=[student.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        {
            "role": User.Role.INSTRUCTOR,
            "date_joined_0": student.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": student.date_joined.strftime("%H:%M:%S"),
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "1",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-id": student.profile.pk,
            "profile-0-user": student.pk,
            "profile-0-gender": "",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    student.refresh_from_db()
    assert student.role == User.Role.INSTRUCTOR and student.is_staff
    assert student.is_instructor
