"""allauth's account adapter, with its emails sent from a background task.

allauth sends its own emails (verification, login and password-reset codes, "account
already exists", notifications such as "your password was changed") inline, from the
request, through ``DefaultAccountAdapter.send_mail``. Here the message is rendered in the
request exactly as allauth does (its templates, the request and the site in the context),
then handed to the task queue (lms.lib.emails.queue_rendered_email): a slow or broken
mail server never holds up or breaks a sign-in page, and a failed send is logged and
retried like Lectern's own emails. Codes themselves are allauth's; nothing here makes one.

Failed password logins are counted per account under a key of the account alone. allauth
keys them by the current site's domain too, which without django.contrib.sites is the
request's Host header, port included — and ALLOWED_HOSTS ignores the port, so a client
reaching an app server directly could start a fresh count with every ``Host: site:N``.
Lectern is one site per deployment, so the account is the key.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from lms.lib.emails import queue_rendered_email


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # allauth's hook for the "login_failed" limit's key (pre_authenticate, and the
        # reset after a password change); accounts/tests/test_signup.py holds it to this.
        login = credentials.get("email", credentials.get("username", "")).lower()
        return f"lectern:{login}"

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        queue_rendered_email(message, template=template_prefix)
