"""Emails: a subject is always one line, and a failed send is logged, kept as a failed
task and, where the failure may pass (the mail server is down), tried again later."""

import contextlib
import logging
import socket
import socketserver
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from catalog.models import Course
from catalog.tests.factories import published_course
from learning.models import Enrollment
from lms.lib.emails import RETRY_DELAYS

pytestmark = pytest.mark.django_db


@pytest.fixture
def course():
    return published_course(title="Python basics")


@pytest.fixture
def closed_port():
    """A local port nothing listens on: connecting is refused at once, as when the mail
    server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_down(settings, closed_port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = closed_port
    settings.EMAIL_TIMEOUT = 2


@pytest.fixture
def task_queue(settings, transactional_db):
    """The production shape: tasks wait in the database until a worker runs them.

    The worker commits as it goes and checks its connection between tasks (closing one
    left inside a transaction), so these tests run outside the usual test transaction.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def enrol(client, student, course, capture):
    client.force_login(student)
    with capture(execute=True):  # the email is queued when the enrolment commits
        response = client.post(reverse("learning:enroll", args=[course.slug]))
    assert response.status_code == 302
    assert Enrollment.objects.filter(user=student, course=course).exists()


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, interval=0, reload=False)


def emails_log(caplog):
    return [r for r in caplog.records if r.name == "lms.lib.emails"]


def test_a_title_stored_with_a_line_break_still_gets_its_email_on_one_line(
    client, student, course, django_capture_on_commit_callbacks
):
    # A row written before titles were checked (or by a bulk update): the email still goes.
    Course.objects.filter(pk=course.pk).update(title="Python\r\nBcc: victim@example.com")
    mail.outbox.clear()
    enrol(client, student, course, django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert email.subject == "You are enrolled in “Python Bcc: victim@example.com”"
    assert email.recipients() == [student.email]
    assert "Bcc" not in email.message()  # no header of its own


def test_a_failed_send_in_process_is_logged_and_the_page_still_works(
    client, student, course, smtp_down, caplog, django_capture_on_commit_callbacks
):
    """The in-process backend (development) cannot wait before a retry: it logs the
    failure with the task, and the enrolment stands."""
    with caplog.at_level(logging.INFO, logger="lms.lib.emails"):
        enrol(client, student, course, django_capture_on_commit_callbacks)
    (record,) = emails_log(caplog)
    assert record.levelno == logging.ERROR
    message = record.getMessage()
    assert "enrolled" in message and student.email in message and "task " in message
    assert "not retried" in message
    assert record.exc_info and isinstance(record.exc_info[1], ConnectionRefusedError)


def test_a_failed_send_is_retried_later_until_the_mail_server_is_back(
    client,
    student,
    course,
    smtp_down,
    task_queue,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    enrol(client, student, course, django_capture_on_commit_callbacks)
    (queued,) = DBTaskResult.objects.all()
    with caplog.at_level(logging.INFO, logger="lms.lib.emails"):
        run_worker()

    failed = DBTaskResult.objects.get(pk=queued.pk)
    assert failed.status == TaskResultStatus.FAILED  # visible in the admin, with the error
    assert failed.exception_class_path == "builtins.ConnectionRefusedError"
    retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert retry.status == TaskResultStatus.READY
    assert retry.task_result.kwargs["attempt"] == 2
    assert retry.run_after > timezone.now() + timedelta(seconds=RETRY_DELAYS[0] - 10)
    (record,) = emails_log(caplog)
    assert record.levelno == logging.WARNING
    assert str(queued.pk) in record.getMessage() and "trying again in" in record.getMessage()

    # The retry waits for its time; then the server is back and the email goes.
    run_worker()
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.READY
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert DBTaskResult.objects.get(pk=retry.pk).status == TaskResultStatus.SUCCESSFUL
    (email,) = mail.outbox
    assert email.subject == "You are enrolled in “Python basics”"


def test_retries_stop_after_the_last_delay_with_an_error_logged(
    client, student, course, smtp_down, task_queue, caplog, django_capture_on_commit_callbacks
):
    enrol(client, student, course, django_capture_on_commit_callbacks)
    with caplog.at_level(logging.INFO, logger="lms.lib.emails"):
        for _ in range(len(RETRY_DELAYS) + 2):
            DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
                run_after=timezone.now()
            )
            run_worker()
    attempts = len(RETRY_DELAYS) + 1
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == attempts
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.FAILED).exists()
    records = emails_log(caplog)
    assert [r.levelno for r in records] == [logging.WARNING] * len(RETRY_DELAYS) + [logging.ERROR]
    assert f"attempt {attempts}" in records[-1].getMessage()
    assert "not retried" in records[-1].getMessage()


@pytest.mark.parametrize(
    "reply,retried",
    [("451 4.3.0 Mailbox busy, try later", True), ("550 5.1.1 No such user", False)],
)
def test_the_mail_servers_answer_decides_whether_to_retry(
    client,
    student,
    course,
    settings,
    task_queue,
    caplog,
    reply,
    retried,
    django_capture_on_commit_callbacks,
):
    """A 4xx answer means "later", a 5xx one "never": only the first is tried again."""
    with refusing_smtp_server(reply) as port:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        enrol(client, student, course, django_capture_on_commit_callbacks)
        with caplog.at_level(logging.INFO, logger="lms.lib.emails"):
            run_worker()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == int(retried)
    (record,) = emails_log(caplog)
    assert record.levelno == (logging.WARNING if retried else logging.ERROR)
    assert reply.split(" ", 1)[1] in record.getMessage()


@contextlib.contextmanager
def refusing_smtp_server(reply: str):
    """A minimal SMTP server on a free local port that answers ``reply`` to every
    recipient, as a real server does for a full mailbox (4xx) or an unknown user (5xx)."""

    class Session(socketserver.StreamRequestHandler):
        def handle(self):
            self.wfile.write(b"220 test ESMTP\r\n")
            for line in self.rfile:
                command = line.decode().strip().upper()
                if command.startswith(("EHLO", "HELO")):
                    self.wfile.write(b"250 test\r\n")
                elif command.startswith("RCPT"):
                    self.wfile.write(reply.encode() + b"\r\n")
                elif command.startswith("QUIT"):
                    self.wfile.write(b"221 bye\r\n")
                    return
                else:  # MAIL, RSET, NOOP
                    self.wfile.write(b"250 OK\r\n")

    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Session) as server:
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
