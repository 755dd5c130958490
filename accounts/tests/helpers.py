"""Reading one-time codes the way a person does: from the email they received."""

import re
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from unittest import mock

from django.core import mail

CODE_RE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.MULTILINE)


def last_code(to: str) -> str:
    """The code in the newest email sent to ``to``."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = CODE_RE.search(message.body)
            assert found, f"no code in the email {message.subject!r}"
            return found.group(1)
    raise AssertionError(f"no email to {to}")


def emails_to(to: str):
    return [m for m in mail.outbox if to in m.to]


def after_seconds(seconds: float):
    """Run the block as if ``seconds`` had passed for allauth's code expiry clock."""
    later = time.time() + seconds
    return mock.patch(
        "allauth.account.internal.flows.code_verification.time.time", return_value=later
    )


@contextmanager
def tokens_after_seconds(seconds: float):
    """Run the block as if ``seconds`` had passed for the API's tokens: PyJWT's expiry
    check (``exp``) and allauth's record of the refresh tokens still valid."""

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.now(tz) + timedelta(seconds=seconds)

    later = time.time() + seconds
    with (
        mock.patch("jwt.api_jwt.datetime", Later),
        mock.patch("allauth.headless.tokens.strategies.jwt.internal.time.time", return_value=later),
    ):
        yield


UNUSABLE_CODE = "That code can no longer be used"


class InTheRaceWindow:
    """A password validator that runs ``action`` while allauth checks the password.

    allauth checks that the address is free, then the password, then saves the user:
    whatever ``action`` does happens after the first check and before the save, as when
    another signup for the same address is saved in between.
    """

    def __init__(self, action):
        self.action = action

    def validate(self, password, user=None):
        self.action()

    def get_help_text(self):
        return ""


def in_the_race_window(settings, action):
    settings.AUTH_PASSWORD_VALIDATORS = [
        *settings.AUTH_PASSWORD_VALIDATORS,
        {"NAME": f"{__name__}.InTheRaceWindow", "OPTIONS": {"action": action}},
    ]
