"""Reading one-time codes the way a person does: from the email they received."""

import re
import time
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


UNUSABLE_CODE = "That code can no longer be used"
