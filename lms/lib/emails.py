"""Emails with a plain-text and an HTML part, sent from a background task.

``queue_email`` enqueues after the surrounding transaction commits, so a slow or broken
mail server never slows a page, and a rolled-back change sends nothing. The task
backend is TASKS_BACKEND (immediate by default: runs right after commit, in-process;
production sets the database backend and runs ``manage.py db_worker``).

A send that fails is never silent: it is logged with the task's id, the template and the
recipient, and the task ends failed (the database backend keeps it, with its traceback,
in the admin's task results). A failure that may pass — the server unreachable or
answering "try later" (4xx) — is tried again after ``RETRY_DELAYS``, as a new task, on a
backend that can run a task later; a permanent one (5xx, a broken template) is not.
"""

import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django_tasks import TaskContext, task

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
        task_id = context.task_result.id
        about = f"Email {template!r} to {to} failed (task {task_id}, attempt {attempt}): {error}"
        can_wait = send_templated_email.get_backend().supports_defer
        delay, why_not = retry_delay(error, attempt=attempt, can_wait=can_wait)
        if delay is None:
            logger.error("%s; not retried: %s", about, why_not, exc_info=True)
        else:
            later = send_templated_email.using(run_after=timezone.now() + timedelta(seconds=delay))
            later.enqueue(template=template, to=to, variables=variables, attempt=attempt + 1)
            logger.warning("%s; trying again in %d s", about, delay, exc_info=True)
        raise  # this attempt's task ends failed, with the error


def queue_email(*, template: str, to: str, context: dict) -> None:
    """Send the email in the background once the current transaction commits."""
    transaction.on_commit(
        lambda: send_templated_email.enqueue(template=template, to=to, variables=context)
    )


def absolute(path: str) -> str:
    return settings.SITE_URL + path
