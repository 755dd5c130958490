"""The production queue, for real: django-tasks' RQ backend on a Redis of the test's own,
worked by rq's worker in burst mode in this process (so it shares the test database and
the test's email outbox), with its scheduler, as `manage.py rqworker default video
--with-scheduler` runs it. An email is performed; a failing one is retried later (a
deferred task the scheduler releases when due) and ends failed, listed for staff on the
admin's queue dashboard. Staff, not instructors, see the queues and the task results."""

import os
import shutil
import signal
import socket
import sys
from pathlib import Path

import django_rq
import pytest
from django.core import mail
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from rq import SimpleWorker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

from lms.lib.emails import RETRY_DELAYS, queue_email, send_templated_email

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from harness import ThrowawayRedis

pytestmark = pytest.mark.django_db
IN_CI = os.environ.get("CI", "").lower() == "true"
RQ = "django_tasks_rq.RQBackend"


@pytest.fixture(scope="module")
def redis_server():
    if not shutil.which("redis-server"):  # as the other Redis tests: required under CI
        message = "needs redis-server (apt-get install redis-server)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    server = ThrowawayRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rq_tasks(settings, redis_server):
    """Both task backends on RQ, as in production, on an empty Redis."""
    settings.RQ_QUEUES = {
        "default": {"URL": redis_server.url, "DEFAULT_TIMEOUT": 60},
        "video": {"URL": redis_server.url, "DEFAULT_TIMEOUT": 60},
    }
    settings.TASKS = {
        "default": {"BACKEND": RQ, "QUEUES": ["default"]},
        "video": {"BACKEND": RQ, "QUEUES": ["video"]},
    }
    connection = django_rq.get_connection("default")
    connection.flushdb()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield connection
    for sig, handler in handlers.items():  # the worker installs its own
        signal.signal(sig, handler)
    connection.flushdb()


def run_worker() -> None:
    """`rqworker default video --with-scheduler --burst`, in this process: the job class
    comes from settings.RQ (as for the management command)."""
    worker = django_rq.get_worker("default", "video", worker_class=SimpleWorker)
    worker.work(burst=True, with_scheduler=True)


def queue(name="default"):
    return django_rq.get_queue(name)


def make_retries_due(connection) -> int:
    """Time passes: every deferred task is due now. Returns how many there were."""
    registry = ScheduledJobRegistry(queue=queue())
    job_ids = registry.get_job_ids()
    for job_id in job_ids:
        connection.zadd(registry.key, {job_id: 0})
    return len(job_ids)


@pytest.fixture
def smtp_down(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2


def welcome(capture) -> None:
    with capture(execute=True):
        queue_email(template="welcome", to="ada@example.com", context={"name": "Ada"})


def test_an_email_task_is_performed_by_an_rq_worker(rq_tasks, django_capture_on_commit_callbacks):
    assert type(send_templated_email.get_backend()).__name__ == "RQBackend"
    mail.outbox.clear()
    welcome(django_capture_on_commit_callbacks)
    (job_id,) = queue().get_job_ids()  # waiting in Redis, nothing sent yet
    assert mail.outbox == []
    assert send_templated_email.get_result(job_id).status == TaskResultStatus.READY

    run_worker()
    result = send_templated_email.get_result(job_id)
    assert result.status == TaskResultStatus.SUCCESSFUL
    (email,) = mail.outbox
    assert email.to == ["ada@example.com"] and "Ada" in email.body


def test_a_failing_email_is_retried_later_and_ends_visibly_failed(
    client,
    staff,
    instructor,
    rq_tasks,
    smtp_down,
    settings,
    caplog,
    django_capture_on_commit_callbacks,
):
    welcome(django_capture_on_commit_callbacks)
    (first,) = queue().get_job_ids()
    with caplog.at_level("INFO", logger="lms.lib.emails"):
        run_worker()

    failed = send_templated_email.get_result(first)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.errors[-1].exception_class_path == "builtins.ConnectionRefusedError"
    # The retry waits in RQ's scheduled registry: only a worker's scheduler releases it.
    (retry,) = ScheduledJobRegistry(queue=queue()).get_job_ids()
    assert queue().get_job_ids() == []
    retried = send_templated_email.get_result(retry)
    assert retried.status == TaskResultStatus.READY and retried.kwargs["attempt"] == 2
    run_worker()  # not due yet: stays deferred
    assert send_templated_email.get_result(retry).status == TaskResultStatus.READY

    for _ in RETRY_DELAYS:  # each retry falls due, fails, and schedules the next
        assert make_retries_due(rq_tasks) == 1
        run_worker()
    assert make_retries_due(rq_tasks) == 0  # given up after the last delay

    failed_ids = FailedJobRegistry(queue=queue()).get_job_ids()
    assert len(failed_ids) == len(RETRY_DELAYS) + 1
    attempts = sorted(
        send_templated_email.get_result(i).kwargs.get("attempt", 1) for i in failed_ids
    )
    assert attempts == list(range(1, len(RETRY_DELAYS) + 2))
    records = [r for r in caplog.records if r.name == "lms.lib.emails"]
    assert [r.levelname for r in records] == ["WARNING"] * len(RETRY_DELAYS) + ["ERROR"]
    assert "that was the last attempt" in records[-1].getMessage()

    # Staff find them on the admin's queue dashboard, with the error; instructors do not.
    failed_page = reverse("admin:django_rq_failed_jobs", args=[0])  # queue "default"
    job_page = reverse("admin:django_rq_job_detail", args=[0, first])
    client.force_login(instructor)
    for url in (reverse("admin:django_rq_dashboard_changelist"), failed_page, job_page):
        assert client.get(url).status_code == 403
    client.force_login(staff)
    page = client.get(failed_page).content.decode()
    assert all(job_id in page for job_id in failed_ids)
    detail = client.get(job_page).content.decode()
    assert "ConnectionRefusedError" in detail
    dashboard = client.get(reverse("admin:django_rq_dashboard_changelist"))
    assert dashboard.status_code == 200


def test_the_queue_dashboard_is_for_platform_staff_only(
    client, student, instructor, staff, rq_tasks
):
    urls = [
        reverse("admin:django_rq_dashboard_changelist"),
        reverse("admin:django_rq_home"),
        reverse("admin:django_rq_jobs", args=[0]),
        reverse("admin:django_rq_scheduled_jobs", args=[0]),
        reverse("admin:django_rq_workers", args=[0]),
        reverse("admin:django_rq_home_json"),
    ]
    for url in urls:  # signed out: the admin's login, or 401 for the JSON
        assert client.get(url).status_code in (302, 401), url
    for user in (student, instructor):  # an instructor is_staff, for their courses
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
    assert "django_rq" not in client.get(reverse("admin:index")).content.decode()
    client.force_login(staff)
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert (
        reverse("admin:django_rq_dashboard_changelist")
        in client.get(reverse("admin:index")).content.decode()
    )


def test_database_task_results_are_for_platform_staff_only(client, instructor, staff, settings):
    """The database backend's failed tasks: *Task results* in the admin, for staff."""
    settings.TASKS = {**settings.TASKS, "default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    send_templated_email.enqueue(template="welcome", to="ada@example.com", variables={})
    result = DBTaskResult.objects.get()
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    detail = reverse("admin:django_tasks_database_dbtaskresult_change", args=[result.pk])
    client.force_login(instructor)
    assert client.get(changelist).status_code == 403
    assert client.get(detail).status_code == 403
    client.force_login(staff)
    assert str(result.pk) in client.get(changelist + "?status=READY").content.decode()
    assert client.get(detail).status_code == 200
