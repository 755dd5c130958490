"""Emails with a plain-text and an HTML part, sent from a background task.

``queue_email`` enqueues after the surrounding transaction commits, so a slow or broken
mail server never slows a page, and a rolled-back change sends nothing. The task
backend is TASKS_BACKEND (immediate by default: runs right after commit, in-process;
production sets the database backend and runs ``manage.py db_worker``).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django_tasks import task


@task()
def send_templated_email(*, template: str, to: str, context: dict) -> None:
    """Render templates/emails/<template>_{subject,body}.txt and _body.html, and send."""
    context = {**context, "site_url": settings.SITE_URL}
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text = render_to_string(f"emails/{template}_body.txt", context)
    html = render_to_string(f"emails/{template}_body.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def queue_email(*, template: str, to: str, context: dict) -> None:
    """Send the email in the background once the current transaction commits."""
    transaction.on_commit(
        lambda: send_templated_email.enqueue(template=template, to=to, context=context)
    )


def absolute(path: str) -> str:
    return settings.SITE_URL + path
