"""Authoring pacing and unlocking lessons: the course's pacing page (catalog.admin_pacing),
the LessonUnlock admin scoped to the instructor's own courses (learning.admin), and the
time zone on the profile (accounts.forms), each from the outside: a stranger, a student,
another instructor, the course's instructor and staff."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.api_client import ApiClient
from catalog.models import Course, Lesson, Section
from catalog.tests.factories import published_course
from learning import services
from learning.models import LessonUnlock

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    course = published_course(
        instructor=instructor, sections=2, lessons=2, pacing=Course.Pacing.SEQUENTIAL
    )
    return course


@pytest.fixture
def theirs(other_instructor):
    return published_course(instructor=other_instructor, lessons=2, pacing="sequential")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pacing_url(course) -> str:
    return reverse("admin:catalog_course_pacing", args=[course.pk])


def pacing_post(course, *, pacing="drip", days=None) -> dict:
    sections = list(course.sections.order_by("order"))
    days = days if days is not None else [0] * len(sections)
    data = {
        "pacing": pacing,
        "sections-TOTAL_FORMS": str(len(sections)),
        "sections-INITIAL_FORMS": str(len(sections)),
        "sections-MIN_NUM_FORMS": "0",
        "sections-MAX_NUM_FORMS": "1000",
    }
    for index, (section, value) in enumerate(zip(sections, days, strict=True)):
        data[f"sections-{index}-id"] = str(section.pk)
        data[f"sections-{index}-opens_after_days"] = str(value)
    return data


# --- The pacing page ------------------------------------------------------------------------
def test_the_course_page_links_to_its_pacing_page(instructor, course):
    page = client_for(instructor).get(reverse("admin:catalog_course_change", args=[course.pk]))
    assert f'href="{pacing_url(course)}"' in page.content.decode()
    assert "Pacing: Sequential" in page.content.decode()


def test_the_instructor_chooses_drip_and_each_sections_days(instructor, course):
    client = client_for(instructor)
    page = client.get(pacing_url(course)).content.decode()
    _, second = course.sections.order_by("order")
    assert f'<label for="id_sections-1-opens_after_days">{second.title}</label>' in page
    assert 'type="radio" name="pacing" value="drip"' in page
    response = client.post(pacing_url(course), pacing_post(course, days=[0, 7]))
    assert response.status_code == 302 and response["Location"] == pacing_url(course)
    course.refresh_from_db()
    second.refresh_from_db()
    assert course.pacing == "drip" and second.opens_after_days == 7
    assert "Pacing of “" in client.get(pacing_url(course)).content.decode()


@pytest.mark.parametrize("days", [-1, 3651, "soon"])
def test_bad_days_are_refused_and_nothing_changes(instructor, course, days):
    response = client_for(instructor).post(pacing_url(course), pacing_post(course, days=[0, days]))
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    assert 'class="errorlist' in response.content.decode()
    course.refresh_from_db()
    assert course.pacing == "sequential"
    assert not course.sections.filter(opens_after_days__gt=0).exists()


def test_an_unknown_pacing_is_refused(instructor, course):
    response = client_for(instructor).post(pacing_url(course), pacing_post(course, pacing="fast"))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    course.refresh_from_db()
    assert course.pacing == "sequential"


def test_a_section_of_another_course_cannot_be_slipped_in(instructor, course, theirs):
    data = pacing_post(course, days=[1, 2])
    data["sections-1-id"] = str(theirs.sections.get().pk)
    response = client_for(instructor).post(pacing_url(course), data)
    assert response.status_code == 200
    assert "sections changed meanwhile" in response.content.decode()
    assert not Section.objects.filter(opens_after_days__gt=0).exists()


def test_extra_forms_create_no_section(instructor, course):
    data = pacing_post(course, days=[1, 2])
    data["sections-TOTAL_FORMS"] = "3"
    data["sections-2-opens_after_days"] = "5"
    client_for(instructor).post(pacing_url(course), data)
    assert course.sections.count() == 2


@pytest.mark.parametrize(
    ("who", "expected"),
    [("other_instructor", 404), ("staff", 200), ("student", 302), (None, 302)],
)
def test_the_pacing_page_is_the_courses_instructors_and_staffs(request, course, who, expected):
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)
    assert client.get(pacing_url(course)).status_code == expected
    client.post(pacing_url(course), pacing_post(course, pacing="free"))
    course.refresh_from_db()
    assert course.pacing == ("free" if who == "staff" else "sequential")


def test_the_pacing_page_needs_the_csrf_token(instructor, course):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    assert client.post(pacing_url(course), pacing_post(course)).status_code == 403


# --- Unlocking a lesson for one student ----------------------------------------------------
def add_url(course=None) -> str:
    url = reverse("admin:learning_lessonunlock_add")
    return f"{url}?course={course.pk}" if course is not None else url


def test_the_instructor_unlocks_a_lesson_for_an_enrolled_student(
    instructor, student, other_student, course
):
    services.enroll(user=student, course=course)
    lesson = Lesson.objects.filter(section__course=course).order_by("section__order", "order")[2]
    client = client_for(instructor)
    page = client.get(add_url(course)).content.decode()
    # Only the course's enrolled students and its lessons are offered.
    assert student.email in page and other_student.email not in page
    assert f"› {lesson.title}</option>" in page
    response = client.post(add_url(course), {"user": student.pk, "lesson": lesson.pk})
    assert response.status_code == 302
    unlock = LessonUnlock.objects.get()
    assert (unlock.user, unlock.lesson, unlock.unlocked_by) == (student, lesson, instructor)
    # Again: a clear message, nothing added.
    again = client.post(add_url(course), {"user": student.pk, "lesson": lesson.pk})
    assert "already unlocked" in again.content.decode()
    assert LessonUnlock.objects.count() == 1


def test_a_student_not_enrolled_or_a_lesson_of_another_course_is_refused(
    instructor, student, other_student, course, theirs
):
    services.enroll(user=student, course=course)
    services.enroll(user=other_student, course=theirs)
    client = client_for(instructor)
    elsewhere = Lesson.objects.filter(section__course=theirs).first()
    mine = Lesson.objects.filter(section__course=course).first()
    for data in (
        {"user": other_student.pk, "lesson": mine.pk},  # not enrolled here
        {"user": student.pk, "lesson": elsewhere.pk},  # another course's lesson
    ):
        response = client.post(add_url(course), data)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
    assert not LessonUnlock.objects.exists()


def test_another_instructor_cannot_unlock_in_a_course_not_theirs(
    instructor, other_instructor, student, course
):
    services.enroll(user=student, course=course)
    lesson = Lesson.objects.filter(section__course=course).first()
    client = client_for(other_instructor)
    # Their add page does not take the course: it asks for one of their own.
    page = client.get(add_url(course)).content.decode()
    assert "choose the course" in page.lower() and course.title not in page
    response = client.post(add_url(course), {"user": student.pk, "lesson": lesson.pk})
    assert not LessonUnlock.objects.exists() and response.status_code == 200
    # Nor see, nor delete (re-lock) the course's unlocks.
    unlock = LessonUnlock.objects.create(user=student, lesson=lesson, unlocked_by=instructor)
    changelist = client.get(reverse("admin:learning_lessonunlock_changelist"))
    assert student.email not in changelist.content.decode()
    assert course.title not in changelist.content.decode()  # not even in the filter
    delete = reverse("admin:learning_lessonunlock_delete", args=[unlock.pk])
    assert client.get(delete).status_code == 404
    assert client.post(delete, {"post": "yes"}).status_code == 404
    assert LessonUnlock.objects.filter(pk=unlock.pk).exists()


def test_deleting_an_unlock_locks_the_lesson_again(instructor, student, course):
    services.enroll(user=student, course=course)
    lesson = Lesson.objects.filter(section__course=course).order_by("section__order", "order")[1]
    unlock = LessonUnlock.objects.create(user=student, lesson=lesson, unlocked_by=instructor)
    client = client_for(instructor)
    listing = client.get(reverse("admin:learning_lessonunlock_changelist") + f"?course={course.pk}")
    assert student.email in listing.content.decode()
    response = client.post(
        reverse("admin:learning_lessonunlock_delete", args=[unlock.pk]), {"post": "yes"}
    )
    assert response.status_code == 302 and not LessonUnlock.objects.exists()


def test_staff_unlock_in_any_course(staff, student, theirs):
    services.enroll(user=student, course=theirs)
    lesson = Lesson.objects.filter(section__course=theirs).last()
    response = client_for(staff).post(add_url(theirs), {"user": student.pk, "lesson": lesson.pk})
    assert response.status_code == 302
    assert LessonUnlock.objects.get().unlocked_by == staff


@pytest.mark.parametrize("who", ["student", None])
def test_students_and_strangers_get_no_unlock_page(request, course, who):
    user = request.getfixturevalue(who) if who else None
    client = client_for(user)
    assert client.get(add_url(course)).status_code == 302  # to the admin's login
    assert client.get(reverse("admin:learning_lessonunlock_changelist")).status_code == 302


def test_without_a_course_the_add_page_lists_the_instructors_paced_courses(instructor, course):
    free = published_course(instructor=instructor, lessons=1)
    page = client_for(instructor).get(add_url()).content.decode()
    assert f'href="{add_url(course)}"' in page
    assert f'href="{pacing_url(free)}"' in page  # nothing to unlock there: set its pacing


def test_the_list_filters_by_course_and_the_add_link_keeps_it(instructor, student, course):
    services.enroll(user=student, course=course)
    client = client_for(instructor)
    listing = client.get(reverse("admin:learning_lessonunlock_changelist") + f"?course={course.pk}")
    assert listing.status_code == 200
    # Django's add link carries the filter; the add page reads the course from it.
    page = client.get(
        reverse("admin:learning_lessonunlock_add") + f"?_changelist_filters=course%3D{course.pk}"
    ).content.decode()
    assert student.email in page


# --- The profile's time zone -----------------------------------------------------------------
def test_the_profile_offers_time_zones_grouped_by_region(student):
    page = client_for(student).get(reverse("accounts:profile")).content.decode()
    assert '<label for="id_time_zone">Time zone' in page
    assert '<optgroup label="Pacific">' in page
    assert '<option value="Pacific/Auckland">Pacific/Auckland</option>' in page
    assert (
        '<option value="America/Argentina/Buenos_Aires">America/Argentina/Buenos Aires</option>'
        in page
    )
    assert "The site&#x27;s time zone (UTC)" in page


def profile_data(student, **changes) -> dict:
    return {"first_name": student.first_name, "last_name": student.last_name, **changes}


def test_the_student_sets_their_time_zone(student):
    client = client_for(student)
    response = client.post(
        reverse("accounts:profile"), profile_data(student, time_zone="Pacific/Auckland")
    )
    assert response.status_code == 302
    student.profile.refresh_from_db()
    assert student.profile.time_zone == "Pacific/Auckland"
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<option value="Pacific/Auckland" selected>' in page
    # Back to the site's.
    client.post(reverse("accounts:profile"), profile_data(student, time_zone=""))
    student.profile.refresh_from_db()
    assert student.profile.time_zone == ""


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Mars/Olympus_Mons", "Choose a time zone from the list."),
        ("../../etc/passwd", "Choose a time zone from the list."),
        ("Europe/Lisbon\x00", "Null characters are not allowed."),
    ],
)
def test_an_unknown_time_zone_is_refused_and_nothing_changes(student, value, message):
    response = client_for(student).post(
        reverse("accounts:profile"), profile_data(student, time_zone=value, about="New")
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    student.profile.refresh_from_db()
    assert student.profile.time_zone == "" and student.profile.about == ""


def test_the_api_reads_and_sets_the_time_zone(student):
    api = ApiClient(student)
    assert api.get("/api/v1/me").json()["time_zone"] == ""
    response = api.patch("/api/v1/me", {"time_zone": "America/Los_Angeles"})
    assert response.status_code == 200 and response.json()["time_zone"] == "America/Los_Angeles"
    # Another change keeps it.
    assert api.patch("/api/v1/me", {"about": "Hi"}).json()["time_zone"] == "America/Los_Angeles"
    refused = api.patch("/api/v1/me", {"time_zone": "Nowhere/Land"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "time_zone", "message": "Choose a time zone from the list."}
    ]


def test_a_legacy_zone_name_already_saved_stays_selected(student):
    student.profile.time_zone = "US/Pacific"
    student.profile.save(update_fields=["time_zone"])
    page = client_for(student).get(reverse("accounts:profile")).content.decode()
    assert '<option value="US/Pacific" selected>US/Pacific</option>' in page
