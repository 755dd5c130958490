"""Emails with a plain-text and an HTML part, sent from a background task.

``queue_email`` enqueues after the surrounding transaction commits, so a slow or broken
mail server never slows a page, and a rolled-back change sends nothing. The task
backend is TASKS_BACKEND (immediate by default: runs right after commit, in-process;
production: RQ, ``manage.py rqworker default video --with-scheduler``, or the database
backend and ``manage.py db_worker``).

``queue_rendered_email`` sends a message already rendered elsewhere (allauth's code and
notification emails, rendered in the request by accounts.adapter): its content travels
sealed (encrypted with a key derived from SECRET_KEY), so a login or reset code never
lies readable in the queue, the task results staff can browse, or a worker's log.

A send that fails is never silent: it is logged with the task's id, the template and the
recipient, and the task ends failed (kept with its traceback: the database backend's
task results in the admin, RQ's failed-job registry on the admin's queue dashboard). A
failure that may pass — the server unreachable or answering "try later" (4xx) — is tried
again after ``RETRY_DELAYS``, as a new task, on a backend that can run a task later; a
permanent one (5xx, a broken template) is not.
"""

import base64
import json
import logging
import smtplib
from datetime import timedelta

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tasks import TaskContext, task
from django_tasks.base import Task

logger = logging.getLogger(__name__)

# Seconds to wait before the 2nd, 3rd and 4th attempt; then the email is given up.
RETRY_DELAYS = (60, 10 * 60, 60 * 60)


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, line breaks included, as one space.

    A subject is a header: a line break in it (from a title stored before titles were
    checked, or from a template's own line breaks) would make Django refuse the email.
    """
    return " ".join(text.split())


def render_email(*, template: str, to: str, context: dict) -> EmailMultiAlternatives:
    """templates/emails/<template>_{subject,body}.txt and _body.html, as one message."""
    context = {**context, "site_url": settings.SITE_URL}
    subject = one_line(render_to_string(f"emails/{template}_subject.txt", context))
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def may_pass(error: Exception) -> bool:
    """Whether trying again later may succeed: the server said "later" (4xx), dropped
    the connection, or could not be reached. 5xx answers and anything else (a template
    error, a bad header) will fail the same way every time."""
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    if isinstance(error, smtplib.SMTPException):
        return False
    return isinstance(error, OSError)  # refused, reset, timed out, name not resolved


def retry_delay(error: Exception, *, attempt: int, can_wait: bool) -> tuple[int | None, str]:
    """Seconds to wait before trying again after ``error``, or None and why not."""
    if not may_pass(error):
        return None, "it would fail the same way again"
    if attempt > len(RETRY_DELAYS):
        return None, "that was the last attempt"
    if not can_wait:  # the in-process backend: a retry now would hold up the request
        return None, "the task backend cannot run a task later"
    return RETRY_DELAYS[attempt - 1], ""


def _failed(
    this: Task, context: TaskContext, error: Exception, *, template: str, to: str, retry: dict
) -> None:
    """Log a failed attempt and, when it may pass and the backend can wait, enqueue the
    next one (``retry``: the task's arguments, ``attempt`` among them) for later."""
    attempt = retry["attempt"]
    task_id = context.task_result.id
    about = f"Email {template!r} to {to} failed (task {task_id}, attempt {attempt}): {error}"
    can_wait = this.get_backend().supports_defer
    delay, why_not = retry_delay(error, attempt=attempt, can_wait=can_wait)
    if delay is None:
        logger.error("%s; not retried: %s", about, why_not, exc_info=True)
    else:
        later = this.using(run_after=timezone.now() + timedelta(seconds=delay))
        later.enqueue(**{**retry, "attempt": attempt + 1})
        logger.warning("%s; trying again in %d s", about, delay, exc_info=True)


@task(takes_context=True)
def send_templated_email(
    context: TaskContext, *, template: str, to: str, variables: dict, attempt: int = 1
) -> None:
    """Render and send one email; on failure log it, maybe schedule a retry, and fail.

    (django-tasks passes the task's own context first, as ``context``; the template's
    context is ``variables``.)
    """
    try:
        render_email(template=template, to=to, context=variables).send()
    except Exception as error:
        retry = {"template": template, "to": to, "variables": variables, "attempt": attempt}
        _failed(send_templated_email, context, error, template=template, to=to, retry=retry)
        raise  # this attempt's task ends failed, with the error


def queue_email(*, template: str, to: str, context: dict) -> None:
    """Send the email in the background once the current transaction commits.

    If the queue cannot take it (its Redis is down), the change has committed already:
    the page still answers, and the lost email is logged as an error.
    """

    def enqueue():
        try:
            send_templated_email.enqueue(template=template, to=to, variables=context)
        except Exception:
            logger.exception("Email %r to %s could not be queued; not sent", template, to)

    transaction.on_commit(enqueue)


# --- Messages rendered elsewhere (allauth's), sealed while they wait -------------------
def _sealer() -> MultiFernet:
    """Fernet keys derived from SECRET_KEY (and its fallbacks, so a message sealed just
    before a key rotation still opens)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(
                        "lms.lib.emails.sealed", "", secret=secret, algorithm="sha256"
                    ).digest()
                )
            )
            for secret in secrets
        ]
    )


def seal_message(message: EmailMessage) -> str:
    """The message's parts as an opaque string (a task argument must be JSON)."""
    if message.attachments:
        raise ValueError("Sealed emails carry no attachments.")
    parts = {
        "subject": message.subject,
        "body": message.body,
        "content_subtype": message.content_subtype,
        "from_email": message.from_email,
        "to": message.to,
        "cc": message.cc,
        "bcc": message.bcc,
        "reply_to": message.reply_to,
        "headers": message.extra_headers,
        "alternatives": [
            [content, mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }
    return _sealer().encrypt(json.dumps(parts).encode()).decode()


def open_message(sealed: str) -> EmailMultiAlternatives:
    parts = json.loads(_sealer().decrypt(sealed.encode()))
    message = EmailMultiAlternatives(
        parts["subject"],
        parts["body"],
        parts["from_email"],
        parts["to"],
        cc=parts["cc"],
        bcc=parts["bcc"],
        reply_to=parts["reply_to"],
        headers=parts["headers"],
    )
    message.content_subtype = parts["content_subtype"]
    for content, mimetype in parts["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


@task(takes_context=True)
def send_sealed_email(
    context: TaskContext, *, template: str, to: str, sealed: str, attempt: int = 1
) -> None:
    """Send one message rendered elsewhere, with the same retries and failure logging as
    ``send_templated_email``. ``template`` and ``to`` only label it (logs, task lists)."""
    try:
        open_message(sealed).send()
    except Exception as error:
        retry = {"template": template, "to": to, "sealed": sealed, "attempt": attempt}
        _failed(send_sealed_email, context, error, template=template, to=to, retry=retry)
        raise


def queue_rendered_email(message: EmailMessage, *, template: str) -> None:
    """Send an already rendered ``message`` from a task, now.

    Not deferred to the transaction's commit, unlike ``queue_email``: the message needs
    no row to be read later, and allauth sends its codes mid-flow. If the queue cannot
    take it, the error reaches the caller (the person asking for a code sees a failure
    rather than waiting for an email that will never come).
    """
    send_sealed_email.enqueue(
        template=template, to=", ".join(message.to), sealed=seal_message(message)
    )


def absolute(path: str) -> str:
    return settings.SITE_URL + path
