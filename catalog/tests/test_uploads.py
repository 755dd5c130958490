"""Many lesson videos at once from the curriculum builder (catalog.uploads and its admin
views): one lesson per file, checked by content, refused files leave nothing behind; with
S3 storage the browser posts to the bucket (a real S3-compatible server: moto's server
mode) and Lectern checks the object before it becomes a lesson."""

import base64
import json
import os
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from catalog import uploads
from catalog.models import Course, Lesson, PendingUpload
from catalog.tests.factories import CourseFactory, LessonFactory, SectionFactory
from lms.lib.integrity import run_checks
from video.clips import make_clip

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[int, bytes]:
    """Tiny H.264 MP4s of 1, 2 and 3 seconds (the index at the end, as PyAV writes it)."""
    folder = tmp_path_factory.mktemp("upload-clips")
    return {
        seconds: make_clip(
            folder / f"{seconds}.mp4", seconds=seconds, width=160, height=90, audio=False
        ).read_bytes()
        for seconds in (1, 2, 3)
    }


@pytest.fixture
def section(instructor):
    return SectionFactory(course=CourseFactory(instructor=instructor), title="Basics")


def url(name: str, section) -> str:
    return reverse(f"admin:catalog_course_{name}", args=[section.course_id, section.pk])


def as_user(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post_file(client, section, name: str, content: bytes, **data):
    upload = SimpleUploadedFile(name, content, content_type="video/mp4")
    return client.post(url("upload", section), {"file": upload, **data}, **JSON)


def stored_files(settings) -> list[str]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


# --- Titles -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "filename, title",
    [
        ("02_intro-to_git.mp4", "02 intro to git"),
        ("Lecture 3 - Loops.webm", "Lecture 3 Loops"),
        ("recap.2024-05-01.final.mp4", "recap 2024-05-01 final"),
        ("C:\\Users\\me\\talk.m4v", "talk"),
        ("___.mp4", "Untitled video"),
        ("no extension", "no extension"),
        ("tab\there.mp4", "tab here"),
        ("x" * 200 + ".mp4", "x" * 120),
    ],
)
def test_a_title_is_made_from_the_file_name(filename, title):
    assert uploads.title_from_filename(filename) == title


# --- Local storage: the file comes through Lectern -----------------------------------------
def test_several_clips_become_one_lesson_each_with_durations_and_titles(
    instructor, section, clips, settings
):
    client = as_user(instructor)
    names = {1: "01_welcome.mp4", 2: "02_intro-to_git.mp4", 3: "03 branches.mp4"}
    answers = [post_file(client, section, names[s], clips[s]) for s in (1, 2, 3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    lessons = list(Lesson.objects.filter(section=section).order_by("order"))
    assert [a.json()["id"] for a in answers] == [lesson.pk for lesson in lessons]
    assert [(lesson.title, lesson.duration) for lesson in lessons] == [
        ("01 welcome", 1),
        ("02 intro to git", 2),
        ("03 branches", 3),
    ]
    assert answers[1].json() == {
        "id": lessons[1].pk,
        "title": "02 intro to git",
        "duration": 2,
        "duration_text": "0:02",
        "published": True,  # a draft course: its lessons are published
        "url": reverse("admin:catalog_lesson_change", args=[lessons[1].pk]),
    }
    course = Course.objects.get(pk=section.course_id)
    assert (course.lesson_count, course.total_duration) == (3, 6)
    assert stored_files(settings) == sorted(lesson.video.name for lesson in lessons)
    assert all(name.startswith("videos/") for name in stored_files(settings))


def test_the_title_typed_before_the_upload_is_kept(instructor, section, clips):
    answer = post_file(
        as_user(instructor), section, "a.mp4", clips[1], title="  <b>Setup</b> & tools "
    )
    assert answer.status_code == 200
    assert Lesson.objects.get(section=section).title == "<b>Setup</b> & tools"  # text


def test_in_a_published_course_a_new_lesson_waits_as_a_draft(instructor, clips):
    course = CourseFactory(instructor=instructor, published=True)
    section = SectionFactory(course=course)
    LessonFactory(section=section, duration=30)
    course.refresh_lesson_stats()

    answer = post_file(as_user(instructor), section, "extra.mp4", clips[2])

    assert answer.json()["published"] is False
    assert Lesson.objects.get(pk=answer.json()["id"]).is_published is False
    course.refresh_from_db()
    assert (course.lesson_count, course.total_duration) == (1, 30)  # students see no change


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("notes.mp4", b"These are my lecture notes, not a video.\n" * 20, "not a playable video"),
        ("empty.mp4", b"", "The file is empty."),
        ("big.mp4", None, "the limit is 1.0\xa0KB"),
    ],
    ids=["text-renamed-mp4", "empty", "over-the-limit"],
)
def test_a_refused_file_says_why_and_leaves_nothing(
    instructor, section, clips, settings, name, content, message
):
    settings.VIDEO_MAX_BYTES = 1024 if content is None else settings.VIDEO_MAX_BYTES
    answer = post_file(as_user(instructor), section, name, clips[1] if content is None else content)

    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert not Lesson.objects.filter(section=section).exists()
    assert stored_files(settings) == []
    assert Course.objects.get(pk=section.course_id).lesson_count == 0


@pytest.mark.parametrize("title", ["Line\nbreak", "x" * 121])
def test_a_bad_title_is_refused_with_a_message(instructor, section, clips, settings, title):
    answer = post_file(as_user(instructor), section, "a.mp4", clips[1], title=title)
    assert answer.status_code == 400 and answer.json()["error"]
    assert not Lesson.objects.exists() and stored_files(settings) == []


def test_only_one_file_per_scripted_request(instructor, section, clips):
    client = as_user(instructor)
    files = [SimpleUploadedFile(f"{n}.mp4", clips[1]) for n in (1, 2)]
    assert client.post(url("upload", section), {"file": files}, **JSON).status_code == 400
    assert client.post(url("upload", section), {}, **JSON).json() == {
        "error": "Send one video file."
    }
    assert not Lesson.objects.exists()


def test_without_javascript_the_form_adds_each_good_file_and_says_why_not_for_the_rest(
    instructor, section, clips, settings
):
    client = as_user(instructor)
    files = [
        SimpleUploadedFile("01_first.mp4", clips[1]),
        SimpleUploadedFile("fake.mp4", b"not a video"),
        SimpleUploadedFile("02_second.mp4", clips[2]),
    ]
    answer = client.post(url("upload", section), {"file": files}, follow=True)

    assert answer.redirect_chain[0][0] == reverse(
        "admin:catalog_course_change", args=[section.course_id]
    )
    texts = [str(m) for m in answer.context["messages"]]
    assert "“01 first” added to “Basics”." in texts
    refused = "“fake.mp4” was not added: The file is not a playable video"
    assert any(text.startswith(refused) for text in texts)
    assert sorted(Lesson.objects.values_list("title", flat=True)) == ["01 first", "02 second"]
    assert len(stored_files(settings)) == 2


def test_sign_is_refused_with_local_storage(instructor, section):
    answer = as_user(instructor).post(
        url("upload_sign", section),
        {"filename": "a.mp4", "size": "100", "content_type": "video/mp4"},
        **JSON,
    )
    assert answer.status_code == 400 and "S3" in answer.json()["error"]
    assert not PendingUpload.objects.exists()


# --- Who may upload --------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["upload", "upload_sign", "upload_complete"])
def test_only_the_courses_author_and_staff_reach_the_upload_views(
    name, section, clips, student, other_instructor, staff, instructor
):
    def post(user):
        data = {"file": SimpleUploadedFile("a.mp4", clips[1]), "key": "videos/x.mp4"}
        return as_user(user).post(url(name, section), data, **JSON)

    for user in (None, student):  # the admin sends them to its login page
        answer = post(user)
        assert answer.status_code == 302 and "/login/" in answer["Location"]
    assert post(other_instructor).status_code == 404
    assert not Lesson.objects.exists()
    if name == "upload":
        assert post(staff).status_code == 200
    # A GET changes nothing and is refused, for the author too.
    assert as_user(instructor).get(url(name, section)).status_code == 405


def test_a_section_of_another_course_is_a_404_even_under_ones_own_course(
    instructor, other_instructor, section, clips
):
    theirs = SectionFactory(course=CourseFactory(instructor=other_instructor))
    mine_with_theirs = reverse("admin:catalog_course_upload", args=[section.course_id, theirs.pk])
    data = {"file": SimpleUploadedFile("a.mp4", clips[1])}
    assert as_user(instructor).post(mine_with_theirs, data, **JSON).status_code == 404
    assert not Lesson.objects.exists()


def test_the_upload_needs_the_csrf_token(instructor, section, clips):
    client = Client(enforce_csrf_checks=True)
    client.force_login(instructor)
    data = {"file": SimpleUploadedFile("a.mp4", clips[1])}
    assert client.post(url("upload", section), data, **JSON).status_code == 403
    client.get(reverse("admin:catalog_course_change", args=[section.course_id]))
    token = client.cookies["csrftoken"].value
    answer = client.post(
        url("upload", section),
        {"file": SimpleUploadedFile("a.mp4", clips[1])},
        HTTP_X_CSRFTOKEN=token,
        **JSON,
    )
    assert answer.status_code == 200


# --- The drop zone's markup -------------------------------------------------------------------
def render_zone(section, user):
    request = RequestFactory().get("/")
    request.user = user
    return render_to_string(
        "admin/catalog/course/upload.html",
        {"course": section.course, "section": section},
        request=request,
    )


def test_the_drop_zone_tells_its_script_the_mode_and_urls(section, instructor):
    html = render_zone(section, instructor)
    assert 'data-mode="local"' in html
    assert f'action="{url("upload", section)}"' in html
    assert f'data-sign-url="{url("upload_sign", section)}"' in html
    assert f'data-complete-url="{url("upload_complete", section)}"' in html
    assert f'<label class="lectern-dropzone-label" for="lectern-upload-input-{section.pk}">' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "<script" not in html and " on" not in html.replace(" one", "")


def test_the_course_admin_loads_the_upload_script(instructor, section):
    page = as_user(instructor).get(reverse("admin:catalog_course_change", args=[section.course_id]))
    assert "catalog/bulk-upload.js" in page.content.decode()


# --- Pending direct uploads in the integrity check and the purge --------------------------------
def pending(section, user, key: str, *, age: timedelta = timedelta(0)) -> PendingUpload:
    row = PendingUpload.objects.create(
        key=key, section=section, created_by=user, filename="a.mp4", size=10
    )
    PendingUpload.objects.filter(pk=row.pk).update(created_at=timezone.now() - age)
    return row


def test_a_pending_uploads_file_is_no_orphan_until_its_row_goes(instructor, section):
    storage = uploads.video_storage()
    name = storage.save("videos/pending.mp4", SimpleUploadedFile("x", b"data"))
    row = pending(section, instructor, name)
    assert [str(d) for d in run_checks(only=["files"], orphan_grace=0)] == []
    row.delete()
    assert [d.item for d in run_checks(only=["files"], orphan_grace=0)] == [f"videos/ {name}"]


def test_purge_deletes_old_pending_uploads_and_their_files_only(
    instructor, section, django_capture_on_commit_callbacks, settings
):
    storage = uploads.video_storage()
    old = storage.save("videos/old.mp4", SimpleUploadedFile("x", b"old"))
    fresh = storage.save("videos/fresh.mp4", SimpleUploadedFile("x", b"fresh"))
    pending(section, instructor, old, age=timedelta(days=2))
    pending(section, instructor, "videos/never-arrived.mp4", age=timedelta(days=2))
    pending(section, instructor, fresh, age=timedelta(hours=1))
    lesson = LessonFactory(section=section, with_video=True)
    pending(section, instructor, lesson.video.name, age=timedelta(days=2))  # never its file

    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_abandoned_uploads", stdout=open(os.devnull, "w"))  # noqa: SIM115

    assert list(PendingUpload.objects.values_list("key", flat=True)) == [fresh]
    assert stored_files(settings) == sorted([fresh, lesson.video.name])

    with django_capture_on_commit_callbacks(execute=True):
        assert uploads.purge_abandoned_uploads(older_than=timedelta(minutes=30)) == 1
    assert not PendingUpload.objects.exists()
    assert stored_files(settings) == [lesson.video.name]


# --- S3: straight to the bucket (moto's server mode) ---------------------------------------------
def bucket_keys(s3_bucket) -> list[str]:
    client, bucket = s3_bucket
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def sign(client, section, *, name="01_intro.mp4", size=1000, content_type="video/mp4", **data):
    return client.post(
        url("upload_sign", section),
        {"filename": name, "size": str(size), "content_type": content_type, **data},
        **JSON,
    )


def post_to_bucket(signed: dict, content: bytes, name: str = "clip.mp4") -> requests.Response:
    """What the browser does: a multipart POST of the signed fields, then the file."""
    return requests.post(
        signed["url"], data=signed["fields"], files={"file": (name, content)}, timeout=30
    )


def policy(signed: dict) -> dict:
    return json.loads(base64.b64decode(signed["fields"]["policy"]))


def complete(client, section, key: str, title: str = ""):
    return client.post(url("upload_complete", section), {"key": key, "title": title}, **JSON)


@pytest.mark.django_db(transaction=True)
def test_s3_sign_post_to_the_bucket_complete_makes_the_lesson_at_that_key(
    s3_bucket, instructor, section, clips
):
    client = as_user(instructor)
    answer = sign(client, section, size=len(clips[3]))
    assert answer.status_code == 200
    signed = answer.json()
    assert signed["key"].startswith("videos/") and signed["key"].endswith(".mp4")
    conditions = policy(signed)["conditions"]
    assert ["content-length-range", 1, 2 * 1024**3] in conditions
    assert {"Content-Type": "video/mp4"} in conditions
    assert {"key": signed["key"]} in conditions  # this key only
    assert PendingUpload.objects.get().created_by == instructor

    assert post_to_bucket(signed, clips[3]).status_code == 204
    assert bucket_keys(s3_bucket) == [signed["key"]]

    done = complete(client, section, signed["key"], title="Intro")
    assert done.status_code == 200, done.content
    lesson = Lesson.objects.get(pk=done.json()["id"])
    assert (lesson.title, lesson.video.name, lesson.duration) == ("Intro", signed["key"], 3)
    assert bucket_keys(s3_bucket) == [signed["key"]]  # pointed at, not copied
    assert not PendingUpload.objects.exists()
    course = Course.objects.get(pk=section.course_id)
    assert (course.lesson_count, course.total_duration) == (1, 3)
    assert run_checks(only=["files"], orphan_grace=0) == []


@pytest.mark.django_db(transaction=True)
def test_s3_a_double_complete_makes_one_lesson(s3_bucket, instructor, section, clips):
    client = as_user(instructor)
    signed = sign(client, section, size=len(clips[1])).json()
    post_to_bucket(signed, clips[1])
    first = complete(client, section, signed["key"])
    second = complete(client, section, signed["key"])
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert Lesson.objects.count() == 1
    assert first.json()["title"] == "01 intro"


def overtaken_while_checking(monkeypatch, other):
    """The first content check runs ``other()`` (a second complete) before it answers."""
    real, calls = uploads.inspect_video, []

    def inspect(file):
        calls.append(file.name)
        if len(calls) == 1:
            other()
        return real(file)

    monkeypatch.setattr(uploads, "inspect_video", inspect)
    return calls


@pytest.mark.django_db(transaction=True)
def test_s3_a_complete_overtaken_by_another_answers_with_its_lesson(
    s3_bucket, instructor, section, clips, monkeypatch
):
    client = as_user(instructor)
    signed = sign(client, section, size=len(clips[1])).json()
    post_to_bucket(signed, clips[1])
    other = []
    calls = overtaken_while_checking(
        monkeypatch, lambda: other.append(complete(as_user(instructor), section, signed["key"]))
    )

    answer = complete(client, section, signed["key"])

    assert len(calls) == 2 and other[0].status_code == answer.status_code == 200
    assert other[0].json() == answer.json()
    assert Lesson.objects.count() == 1 and bucket_keys(s3_bucket) == [signed["key"]]


needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    # SQLite's shared in-memory test database fails a locked table instead of waiting;
    # the test above replays the race on SQLite.
    reason="a real race needs PostgreSQL",
)


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_s3_concurrent_completes_make_one_lesson(
    s3_bucket, instructor, section, clips, monkeypatch
):
    client = as_user(instructor)
    signed = sign(client, section, size=len(clips[1])).json()
    post_to_bucket(signed, clips[1])
    barrier = threading.Barrier(3, timeout=30)
    real = uploads.inspect_video

    def inspect(file):
        info = real(file)
        barrier.wait()  # every request has checked the file before any makes the lesson
        return info

    monkeypatch.setattr(uploads, "inspect_video", inspect)
    answers = []

    def attempt():
        try:
            answers.append(complete(as_user(instructor), section, signed["key"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [200] * 3
    assert len({a.json()["id"] for a in answers}) == 1
    assert Lesson.objects.count() == 1 and not PendingUpload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_s3_a_fake_video_is_refused_and_its_object_deleted(s3_bucket, instructor, section):
    client = as_user(instructor)
    fake = b"MZ this is a program, not a video" * 100
    signed = sign(client, section, name="virus.mp4", size=len(fake)).json()
    post_to_bucket(signed, fake)
    assert bucket_keys(s3_bucket) == [signed["key"]]

    answer = complete(client, section, signed["key"])

    assert answer.status_code == 400
    assert "not a playable video" in answer.json()["error"]
    assert bucket_keys(s3_bucket) == []
    assert not PendingUpload.objects.exists() and not Lesson.objects.exists()
    assert complete(client, section, signed["key"]).status_code == 404  # nothing left


@pytest.mark.django_db(transaction=True)
def test_s3_a_file_larger_than_declared_and_allowed_is_refused_after_the_fact(
    s3_bucket, instructor, section, clips, settings
):
    """moto does not enforce the policy's content-length-range (S3 does: a 400
    EntityTooLarge before any byte is stored), so our own check after the upload is
    what this tests: the object is measured, refused and deleted."""
    settings.VIDEO_MAX_BYTES = len(clips[1])
    client = as_user(instructor)
    signed = sign(client, section, size=100).json()  # an honest-looking declaration
    assert ["content-length-range", 1, len(clips[1])] in policy(signed)["conditions"]
    post_to_bucket(signed, clips[2])  # moto stores it anyway

    answer = complete(client, section, signed["key"])

    assert answer.status_code == 400
    assert "the limit is" in answer.json()["error"]
    assert bucket_keys(s3_bucket) == [] and not Lesson.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_s3_a_file_that_never_arrived_is_refused_and_forgotten(s3_bucket, instructor, section):
    client = as_user(instructor)
    signed = sign(client, section).json()
    answer = complete(client, section, signed["key"])
    assert answer.status_code == 400 and "did not reach the storage" in answer.json()["error"]
    assert not PendingUpload.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "declared, message",
    [
        ({"size": 3 * 1024**3}, "the limit is 2.0\xa0GB"),
        ({"size": 0}, "The file is empty."),
        ({"content_type": "video/quicktime", "name": "talk.mov"}, "“talk.mov” is not an MP4"),
        ({"content_type": "application/x-msdownload"}, "is not an MP4 or WebM video"),
        ({"size": "many"}, "size is missing"),
        ({"title": "a\tb"}, "control characters"),
    ],
)
def test_s3_a_wrong_declaration_is_refused_before_the_upload(
    s3_bucket, instructor, section, declared, message
):
    answer = sign(as_user(instructor), section, **declared)
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert not PendingUpload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_s3_another_users_key_is_a_404_and_the_object_stays(
    s3_bucket, instructor, other_instructor, staff, section, clips
):
    signed = sign(as_user(instructor), section, size=len(clips[1])).json()
    post_to_bucket(signed, clips[1])
    theirs = SectionFactory(course=CourseFactory(instructor=other_instructor))

    assert complete(as_user(other_instructor), section, signed["key"]).status_code == 404
    assert complete(as_user(other_instructor), theirs, signed["key"]).status_code == 404
    assert complete(as_user(staff), section, signed["key"]).status_code == 404  # not theirs
    other_section = SectionFactory(course=section.course)
    assert complete(as_user(instructor), other_section, signed["key"]).status_code == 404

    assert bucket_keys(s3_bucket) == [signed["key"]]
    assert PendingUpload.objects.count() == 1 and not Lesson.objects.exists()
    assert complete(as_user(instructor), section, signed["key"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_s3_purge_deletes_abandoned_uploads_with_their_objects(
    s3_bucket, instructor, section, clips
):
    client = as_user(instructor)
    abandoned = sign(client, section, size=len(clips[1])).json()
    post_to_bucket(abandoned, clips[1])
    recent = sign(client, section, size=len(clips[1])).json()
    post_to_bucket(recent, clips[1])
    PendingUpload.objects.filter(key=abandoned["key"]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    # Until then, the check does not count either object as an orphan.
    assert run_checks(only=["files"], orphan_grace=0) == []

    assert uploads.purge_abandoned_uploads() == 1

    assert bucket_keys(s3_bucket) == [recent["key"]]
    assert list(PendingUpload.objects.values_list("key", flat=True)) == [recent["key"]]


@pytest.mark.django_db(transaction=True)
def test_s3_the_check_reads_only_the_ranges_the_demuxer_needs(
    s3_bucket, instructor, section, clips, monkeypatch, tmp_path
):
    """The MP4's index is at its end: the header and the index are read, not the middle."""
    content = make_clip(tmp_path / "long.mp4", seconds=20, width=320, height=180).read_bytes()
    monkeypatch.setattr(uploads, "READ_CHUNK", 64 * 1024)
    client = as_user(instructor)
    signed = sign(client, section, size=len(content)).json()
    post_to_bucket(signed, content)
    fetched = []
    original = uploads.RangedObject.readinto

    def counting(self, buffer):
        before = self.requests
        count = original(self, buffer)
        if self.requests != before:
            fetched.append(len(self.block))
        return count

    monkeypatch.setattr(uploads.RangedObject, "readinto", counting)

    answer = complete(client, section, signed["key"])

    assert answer.json()["duration"] == 20
    assert 0 < sum(fetched) < len(content) / 2, (sum(fetched), len(content))


@pytest.mark.django_db(transaction=True)
def test_s3_the_drop_zone_says_s3(s3_bucket, section, instructor):
    assert 'data-mode="s3"' in render_zone(section, instructor)
