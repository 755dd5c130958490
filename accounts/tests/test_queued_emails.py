"""allauth's own emails (codes, "account already exists", notifications) go through the
task queue: rendered in the request as allauth renders them, sealed while they wait
(no readable code in the queue or the task results), sent by a worker, and retried like
Lectern's own emails when the mail server is down."""

import json
import logging
import socket

import pytest
from cryptography.fernet import InvalidToken
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.management import call_command
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import last_code
from lms.lib.emails import RETRY_DELAYS, open_message, seal_message

pytestmark = pytest.mark.django_db

REQUEST_LOGIN_CODE = reverse("account_request_login_code")
CONFIRM_LOGIN_CODE = reverse("account_confirm_login_code")
SEALED_TASK = "lms.lib.emails.send_sealed_email"


@pytest.fixture
def task_queue(settings, transactional_db):
    """Tasks wait in the database until a worker runs them (the production shape)."""
    settings.TASKS = {**settings.TASKS, "default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def smtp_down(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens: refused at once
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port, 2


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, interval=0, reload=False)


def stored(result: DBTaskResult) -> str:
    """Everything a person browsing the task results (or the database) could read."""
    return json.dumps([result.args_kwargs, result.return_value, result.traceback])


def test_a_login_code_is_sent_by_the_worker_not_the_request(client, task_queue):
    user = UserFactory()
    mail.outbox.clear()
    response = client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    assert response.status_code == 302 and response.url == CONFIRM_LOGIN_CODE
    assert mail.outbox == []  # nothing sent inside the request

    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == SEALED_TASK
    kwargs = queued.args_kwargs["kwargs"]
    assert (kwargs["template"], kwargs["to"]) == ("account/email/login_code", user.email)

    run_worker()
    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    (email,) = mail.outbox
    assert email.to == [user.email]
    code = last_code(user.email)  # allauth's code, as allauth wrote the email
    assert code not in stored(queued)  # the sealed message: no readable code in the queue

    client.post(CONFIRM_LOGIN_CODE, {"code": code})
    assert client.get(reverse("home")).wsgi_request.user == user


@pytest.mark.parametrize(
    "flow,template",
    [
        ("signup", "account/email/email_confirmation_signup"),
        ("signup_taken", "account/email/account_already_exists"),
        ("reset", "account/email/password_reset_code"),
        ("password_changed", "account/email/password_changed"),
    ],
)
def test_each_of_allauths_emails_goes_through_the_queue(client, task_queue, flow, template):
    user = UserFactory()
    mail.outbox.clear()
    new_password = "a-Long-new-passw0rd"
    if flow in ("signup", "signup_taken"):
        email = user.email if flow == "signup_taken" else "new@example.com"
        client.post(
            reverse("account_signup"),
            {
                "email": email,
                "password1": new_password,
                "password2": new_password,
                "first_name": "Nora",
                "last_name": "Newcomer",
            },
        )
    elif flow == "reset":
        client.post(reverse("account_reset_password"), {"email": user.email})
    else:
        client.force_login(user)
        client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
        )
    assert mail.outbox == []
    (queued,) = DBTaskResult.objects.filter(task_path=SEALED_TASK)
    assert queued.args_kwargs["kwargs"]["template"] == template
    run_worker()
    (sent,) = mail.outbox
    assert sent.subject and sent.body
    assert sent.body not in stored(queued)


def test_a_code_email_is_retried_when_the_mail_server_is_down(
    client, task_queue, smtp_down, settings, caplog
):
    user = UserFactory()
    client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    (queued,) = DBTaskResult.objects.all()
    with caplog.at_level(logging.INFO, logger="lms.lib.emails"):
        run_worker()

    queued.refresh_from_db()
    assert queued.status == TaskResultStatus.FAILED  # kept, with its traceback
    assert queued.exception_class_path == "builtins.ConnectionRefusedError"
    retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert retry.status == TaskResultStatus.READY
    retried = retry.args_kwargs["kwargs"]
    assert retried["attempt"] == 2 and retried["sealed"] == queued.args_kwargs["kwargs"]["sealed"]
    assert (retry.run_after - queued.finished_at).total_seconds() >= RETRY_DELAYS[0] - 5
    (record,) = [r for r in caplog.records if r.name == "lms.lib.emails"]
    assert record.levelno == logging.WARNING
    assert "account/email/login_code" in record.getMessage() and user.email in record.getMessage()

    # The server is back when the retry is due: the same code arrives and works.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=queued.finished_at)
    run_worker()
    client.post(CONFIRM_LOGIN_CODE, {"code": last_code(user.email)})
    assert client.get(reverse("home")).wsgi_request.user == user


def test_in_process_a_broken_mail_server_no_longer_breaks_the_page(client, smtp_down, caplog):
    """The default (in-process) backend sends at once; a failed send is logged, and the
    page answers as usual instead of with a server error."""
    user = UserFactory()
    with caplog.at_level(logging.INFO, logger="lms.lib.emails"):
        response = client.post(REQUEST_LOGIN_CODE, {"email": user.email})
    assert response.status_code == 302 and response.url == CONFIRM_LOGIN_CODE
    (record,) = [r for r in caplog.records if r.name == "lms.lib.emails"]
    assert record.levelno == logging.ERROR and "not retried" in record.getMessage()


def test_a_sealed_message_opens_as_it_was_and_only_with_the_sites_key(settings):
    message = EmailMultiAlternatives(
        "Your code",
        "Code: ABCD-EFGH",
        "Lectern <noreply@lectern.test>",
        ["a@example.com"],
        headers={"X-Lectern": "1"},
        reply_to=["help@lectern.test"],
    )
    message.attach_alternative("<p>Code: <b>ABCD-EFGH</b></p>", "text/html")
    sealed = seal_message(message)
    assert "ABCD-EFGH" not in sealed
    opened = open_message(sealed)
    assert (opened.subject, opened.body, opened.from_email, opened.to) == (
        message.subject,
        message.body,
        message.from_email,
        message.to,
    )
    assert opened.alternatives == [("<p>Code: <b>ABCD-EFGH</b></p>", "text/html")]
    assert (opened.extra_headers, opened.reply_to) == ({"X-Lectern": "1"}, ["help@lectern.test"])

    html_only = EmailMessage("Hi", "<p>Hi</p>", "noreply@lectern.test", ["a@example.com"])
    html_only.content_subtype = "html"
    assert open_message(seal_message(html_only)).content_subtype == "html"

    # A key rotation: messages sealed before it still open with the old key as a fallback.
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]
    assert open_message(sealed).body == message.body
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(InvalidToken):
        open_message(sealed)
    with pytest.raises(InvalidToken):
        open_message(seal_message(message)[:-4] + "AAAA")
