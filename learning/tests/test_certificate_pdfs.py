"""Certificate PDFs are drawn by a task when a certificate is issued and kept in the
private storage; a download serves the kept file, or draws (and keeps) it if the queue has
not got to it or failed, so nobody waits on the queue. Files go with their rows."""

import importlib
import io
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from django_tasks import TaskResultStatus
from pypdf import PdfReader

from catalog.models import Lesson
from catalog.tests.factories import published_course
from learning import certificates, services
from learning.models import Certificate
from learning.tasks import make_certificate_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(instructor):
    return published_course(instructor=instructor, title="Stargazing", sections=1, lessons=1)


@pytest.fixture
def no_worker(settings):
    """A queue nobody works: tasks are recorded, never run."""
    settings.TASKS = {
        **settings.TASKS,
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"},
    }


def finish(user, course, capture):
    services.enroll(user=user, course=course)
    with capture(execute=True):  # the PDF task is queued when the completion commits
        for lesson in Lesson.objects.filter(section__course=course):
            services.set_completed(user=user, lesson=lesson, completed=True)
    return Certificate.objects.get(user=user, course=course)


def stored_pdfs(settings) -> list[str]:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "certificates"
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def download(client, certificate):
    return client.get(reverse("learning:certificate_pdf", args=[certificate.code]))


def text_of(pdf: bytes) -> str:
    (page,) = PdfReader(io.BytesIO(pdf)).pages
    return page.extract_text()


def test_issuing_a_certificate_draws_and_keeps_its_pdf_in_a_task(
    client, student, course, settings, django_capture_on_commit_callbacks
):
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    assert certificate.pdf.name.startswith(f"certificates/{certificate.code}-")
    assert stored_pdfs(settings) == [Path(certificate.pdf.name).name]
    assert certificate.code in text_of(certificate.pdf.read())

    client.force_login(student)
    response = download(client, certificate)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == certificate.pdf.open("rb").read()  # the kept file, served
    assert response["Cache-Control"] == "private, no-store"


def test_a_download_before_the_queue_gets_there_draws_and_keeps_the_pdf(
    client, student, course, settings, no_worker, monkeypatch, django_capture_on_commit_callbacks
):
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    assert not certificate.pdf and stored_pdfs(settings) == []  # still waiting in the queue
    client.force_login(student)
    first = download(client, certificate)
    assert first.status_code == 200 and certificate.code in text_of(first.content)
    certificate.refresh_from_db()
    assert stored_pdfs(settings) == [Path(certificate.pdf.name).name]

    # The second download reads the kept file: nothing is drawn again.
    monkeypatch.setattr(certificates, "render_pdf", lambda *a, **k: pytest.fail("drawn again"))
    assert download(client, certificate).content == first.content

    # The queued task runs at last: the certificate has its PDF; no second file.
    assert make_certificate_pdf.call(certificate_id=certificate.pk) is False
    assert stored_pdfs(settings) == [Path(certificate.pdf.name).name]


def test_a_failed_pdf_task_is_visible_and_the_download_still_works(
    client, student, course, settings, no_worker, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = {
        **settings.TASKS,
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
    }
    real_render = certificates.render_pdf

    def broken(*args, **kwargs):
        raise RuntimeError("font cache corrupt")

    monkeypatch.setattr(certificates, "render_pdf", broken)
    finished = []
    from django_tasks.signals import task_finished

    def record(sender, task_result, **kwargs):
        finished.append(task_result)

    task_finished.connect(record)
    try:
        certificate = finish(student, course, django_capture_on_commit_callbacks)
    finally:
        task_finished.disconnect(record)
    (result,) = [r for r in finished if r.task.func is make_certificate_pdf.func]
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "builtins.RuntimeError"
    assert "font cache corrupt" in result.errors[0].traceback
    certificate.refresh_from_db()
    assert not certificate.pdf and stored_pdfs(settings) == []

    monkeypatch.setattr(certificates, "render_pdf", real_render)
    client.force_login(student)
    response = download(client, certificate)
    assert response.status_code == 200 and certificate.code in text_of(response.content)


def test_the_download_works_when_the_pdf_cannot_be_stored(
    client, student, course, settings, no_worker, monkeypatch, django_capture_on_commit_callbacks
):
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    storage = Certificate._meta.get_field("pdf").storage

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage, "save", full_disk)
    client.force_login(student)
    response = download(client, certificate)
    assert response.status_code == 200 and certificate.code in text_of(response.content)
    certificate.refresh_from_db()
    assert not certificate.pdf


def test_a_lost_stored_file_is_drawn_again(
    client, student, course, settings, django_capture_on_commit_callbacks
):
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    Path(settings.PRIVATE_MEDIA_ROOT, certificate.pdf.name).unlink()
    client.force_login(student)
    response = download(client, certificate)
    assert response.status_code == 200 and certificate.code in text_of(response.content)


def test_two_makers_at_once_keep_one_file(
    student, course, settings, no_worker, django_capture_on_commit_callbacks
):
    """The task and a first download draw the same certificate: one file is kept, the
    other's is deleted."""
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    pdf = certificates.draw(certificate)
    stale = Certificate.objects.get(pk=certificate.pk)  # loaded before the other one kept
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates.keep(certificate, pdf) is True
        assert certificates.keep(stale, pdf) is False
    certificate.refresh_from_db()
    assert stored_pdfs(settings) == [Path(certificate.pdf.name).name]


def test_a_certificate_deleted_before_its_task_runs_leaves_no_file(
    student, course, settings, no_worker, django_capture_on_commit_callbacks
):
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    pk = certificate.pk
    certificate.delete()
    assert make_certificate_pdf.call(certificate_id=pk) is False
    stale = Certificate(pk=pk, code=certificate.code)
    with django_capture_on_commit_callbacks(execute=True):
        assert certificates.keep(stale, b"%PDF-") is False  # the row is gone: file deleted
    assert stored_pdfs(settings) == []


@pytest.mark.parametrize("via", ["certificate", "user"])
def test_the_pdf_goes_with_its_certificate(
    student, course, settings, via, django_capture_on_commit_callbacks
):
    certificate = finish(student, course, django_capture_on_commit_callbacks)
    assert stored_pdfs(settings)
    with django_capture_on_commit_callbacks(execute=True):
        (certificate if via == "certificate" else student).delete()
    assert stored_pdfs(settings) == []


def test_unapplying_the_migration_deletes_the_stored_pdfs(
    student, course, settings, django_capture_on_commit_callbacks
):
    """The reverse of learning 0008 drops the column: the files it names go first."""
    finish(student, course, django_capture_on_commit_callbacks)
    assert stored_pdfs(settings)
    migration = importlib.import_module("learning.migrations.0008_certificate_pdf")
    migration.delete_stored_pdfs(apps, schema_editor=None)
    assert stored_pdfs(settings) == []


@pytest.mark.parametrize("certificates_issued", [1, 12])
def test_pdf_download_query_budget(
    client,
    student,
    settings,
    certificates_issued,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    for n in range(certificates_issued):
        certificate = finish(
            student,
            published_course(title=f"Course {n}", lessons=1),
            django_capture_on_commit_callbacks,
        )
    Certificate.objects.filter(pk=certificate.pk).update(pdf="")  # first download draws it
    client.force_login(student)
    with django_assert_max_num_queries(5):  # session, user, certificate, UPDATE (+ savepoint)
        assert download(client, certificate).status_code == 200
    with django_assert_max_num_queries(3):  # session, user, certificate
        assert download(client, certificate).status_code == 200
