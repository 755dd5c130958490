"""A change that rolls back leaves no new file behind.

The failing step is real: a database trigger refuses one row of the same admin save
(as a constraint, a lost connection or a full disk on the server would), after the
files of the rows saved before it were written.
"""

import io
from contextlib import suppress
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from PIL import Image

from catalog.models import Course, Lesson
from catalog.tests.factories import (
    SAMPLE_MP4,
    CategoryFactory,
    CourseFactory,
    LessonFactory,
    SectionFactory,
)
from catalog.tests.test_admin import course_form, inline_management

REFUSED = "Refused by the database"
TRANSACTIONAL = pytest.param(
    True, marks=pytest.mark.django_db(transaction=True), id="outermost-transaction"
)
NESTED = pytest.param(False, marks=pytest.mark.django_db, id="savepoint")


def stored(root) -> list[str]:
    root = Path(root)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def refuse():
    """refuse(table): the database refuses rows of ``table`` titled REFUSED."""
    made = []

    def install(table: str) -> None:
        name = f"test_refuse_{table}"
        if connection.vendor == "postgresql":
            statements = [
                f"CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.title = '{REFUSED}' THEN RAISE EXCEPTION 'refused' "
                "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()",
            ]
        else:
            statements = [
                f"CREATE TRIGGER {name} BEFORE INSERT ON {table} "
                f"WHEN NEW.title = '{REFUSED}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ]
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        made.append((table, name))

    yield install
    with connection.cursor() as cursor:  # a transactional test commits its DDL
        for table, name in made:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def failing_client(user) -> Client:
    client = Client(raise_request_exception=False)  # a 500 page, as a browser gets it
    client.force_login(user)
    return client


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), "teal").save(buffer, format="PNG")
    return SimpleUploadedFile("cover.png", buffer.getvalue(), "image/png")


@pytest.mark.parametrize("outermost", [TRANSACTIONAL, NESTED])
def test_a_failed_course_save_leaves_no_new_thumbnail(instructor, refuse, settings, outermost):
    """The course's row is refused after its thumbnail was written."""
    refuse("catalog_course")
    data = course_form(CategoryFactory(), title=REFUSED, slug="refused")
    data.update({"thumbnail": png()})

    response = failing_client(instructor).post(reverse("admin:catalog_course_add"), data)

    assert response.status_code == 500
    assert not Course.objects.filter(slug="refused").exists()
    assert stored(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("outermost", [TRANSACTIONAL, NESTED])
def test_a_failed_lesson_upload_leaves_no_video(instructor, refuse, settings, outermost):
    """Two new lessons with videos: the second row is refused, after both files were
    written (each lesson's file is written as its row is saved)."""
    section = SectionFactory(course=CourseFactory(instructor=instructor))
    kept = LessonFactory(section=section, with_video=True)
    refuse("catalog_lesson")
    data = {"course": section.course_id, "title": section.title}
    data.update(inline_management("lessons", total=2))
    for n, title in enumerate(["Part one", REFUSED]):
        video = SimpleUploadedFile("intro.mp4", SAMPLE_MP4.read_bytes(), "video/mp4")
        data.update(
            {
                f"lessons-{n}-title": title,
                f"lessons-{n}-description": "",
                f"lessons-{n}-is_published": "on",
                f"lessons-{n}-video": video,
            }
        )

    response = failing_client(instructor).post(
        reverse("admin:catalog_section_change", args=[section.pk]), data
    )

    assert response.status_code == 500
    assert list(Lesson.objects.filter(section=section)) == [kept]
    assert stored(settings.PRIVATE_MEDIA_ROOT) == [kept.video.name]


class Refused(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_only_the_rolled_back_part_of_a_transaction_loses_its_files(settings):
    with transaction.atomic():
        kept = LessonFactory(with_video=True)
        with suppress(Refused), transaction.atomic():
            LessonFactory(section=kept.section, with_video=True)
            raise Refused
        later = LessonFactory(section=kept.section, with_video=True)
    assert stored(settings.PRIVATE_MEDIA_ROOT) == sorted([kept.video.name, later.video.name])


@pytest.mark.django_db(transaction=True)
def test_a_row_refused_outside_a_transaction_leaves_no_file(settings, instructor):
    taken = CourseFactory(instructor=instructor)
    with pytest.raises(IntegrityError):
        CourseFactory(slug=taken.slug, thumbnail=ContentFile(b"x", name="thumb.webp"))
    assert stored(settings.MEDIA_ROOT) == []
