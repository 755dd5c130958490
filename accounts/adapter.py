"""allauth's account adapter, with its emails sent from a background task.

allauth sends its own emails (verification, login and password-reset codes, "account
already exists", notifications such as "your password was changed") inline, from the
request, through ``DefaultAccountAdapter.send_mail``. Here the message is rendered in the
request exactly as allauth does (its templates, the request and the site in the context),
then handed to the task queue (lms.lib.emails.queue_rendered_email): a slow or broken
mail server never holds up or breaks a sign-in page, and a failed send is logged and
retried like Lectern's own emails. Codes themselves are allauth's; nothing here makes one.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from lms.lib.emails import queue_rendered_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        queue_rendered_email(message, template=template_prefix)
