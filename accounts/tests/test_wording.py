"""One voice on the account pages and in their emails.

The navigation says "Log in", "Sign up" and "Log out", in sentence case; allauth's own
templates say "Sign In", "Sign Up", "Remember Me", "Enter Email Verification Code". Every
allauth page in the URLconf is walked here (a new one fails until it has a recipe below),
with its visible words — text, titles, buttons, labels, placeholders — checked for Title
Case and for allauth's other verbs ("sign in", "signup"). So is every email subject
allauth can send, and every email the walk makes it send.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import allauth
import pytest
from allauth.account.adapter import get_adapter
from django.core import mail
from django.template.loader import render_to_string
from django.urls import get_resolver, reverse

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.helpers import last_code

pytestmark = pytest.mark.django_db

# Two or more Capitalised words in a row: "Sign In", "Sign-In", "Remember Me",
# "Email Address", "Enter Email Verification Code".
TITLE_CASE = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b")
# allauth's verbs for what the site calls logging in and out, and "signup" as a verb.
OFF_VOICE = re.compile(r"\bsign(?:ed|ing)?[ -]?(?:in|out)\b|\bsignup\b", re.IGNORECASE)
# Proper names may be capitalised: the site's and the people this test creates.
NAMES = ("Lectern", "Ada Lovelace")
URL = re.compile(r"https?://\S+")
NEW_PASSWORD = "a-Long-new-passw0rd"


class VisibleWords(HTMLParser):
    """Each run of text a person sees or hears: text nodes (the title included) and the
    attributes read out or shown in place of text."""

    SPOKEN = ("placeholder", "title", "aria-label", "alt")

    def __init__(self):
        super().__init__()
        self.runs: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        attrs = dict(attrs)
        self.runs += [attrs[name] for name in self.SPOKEN if attrs.get(name)]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.runs.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.runs.append(" ".join(data.split()))


def wrong_words(text: str) -> list[str]:
    text = URL.sub("", text)  # "/accounts/signup/" is an address, not a word
    for name in NAMES:
        text = text.replace(name, "")
    return TITLE_CASE.findall(text) + OFF_VOICE.findall(text)


def page_problems(response) -> list[str]:
    parser = VisibleWords()
    parser.feed(response.content.decode())
    return [f"{word!r} in {run!r}" for run in parser.runs for word in wrong_words(run)]


# --- How to reach each allauth page, as the person who sees it -------------------------
def person(**extra):
    return UserFactory(first_name="Ada", last_name="Lovelace", **extra)


def logged_in(client, **extra):
    user = person(**extra)
    client.force_login(user)
    return user


def after_signup(client):
    client.post(
        reverse("account_signup"),
        {
            "email": "new@example.com",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )
    return client.get(reverse("account_email_verification_sent"))


def after_requesting_a_login_code(client):
    client.post(reverse("account_request_login_code"), {"email": person().email})
    return client.get(reverse("account_confirm_login_code"))


def after_requesting_a_reset_code(client):
    client.post(reverse("account_reset_password"), {"email": person().email})
    return client.get(reverse("account_confirm_password_reset_code"))


def after_entering_the_reset_code(client):
    user = person()
    client.post(reverse("account_reset_password"), {"email": user.email})
    client.post(reverse("account_confirm_password_reset_code"), {"code": last_code(user.email)})
    return client.get(reverse("account_complete_password_reset"))


def after_resetting_the_password(client):
    after_entering_the_reset_code(client)
    return client.post(
        reverse("account_complete_password_reset"),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )


def without_a_password(client):
    user = person()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    client.force_login(user)
    return client.get(reverse("account_set_password"))


def get(name, *, as_member=False):
    def recipe(client):
        if as_member:
            logged_in(client)
        return client.get(reverse(name))

    return recipe


# Every allauth URL name in the URLconf, and how a person comes to see its page.
PAGES = {
    "account_login": get("account_login"),
    "account_signup": get("account_signup"),
    "account_logout": get("account_logout", as_member=True),
    "account_inactive": get("account_inactive"),
    "account_reauthenticate": get("account_reauthenticate", as_member=True),
    "account_email": get("account_email", as_member=True),
    "account_email_verification_sent": after_signup,
    "account_change_password": get("account_change_password", as_member=True),
    "account_set_password": without_a_password,
    "account_reset_password": get("account_reset_password"),
    "account_request_login_code": get("account_request_login_code"),
    "account_confirm_login_code": after_requesting_a_login_code,
    "account_confirm_password_reset_code": after_requesting_a_reset_code,
    "account_complete_password_reset": after_entering_the_reset_code,
    "account_password_reset_completed": after_resetting_the_password,
}


# The same pages in the states people also see them in: with errors, messages, a
# pending change.
def login_refused(client):
    person()
    return client.post(reverse("account_login"), {"login": "ada@example.com", "password": "not-it"})


def just_logged_in(client):
    user = person()
    return client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, follow=True
    )


def just_logged_out(client):
    logged_in(client)
    return client.post(reverse("account_logout"), follow=True)


def email_change_pending(client):
    logged_in(client)
    client.post(reverse("account_email"), {"action_add": "", "email": "moved@example.com"})
    return client.get(reverse("account_email"))


def password_changed(client):
    logged_in(client)
    return client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )


def signup_refused(client):
    return client.post(reverse("account_signup"), {"email": "not-an-address"})


def address_already_taken(client):
    user = person()
    return client.post(
        reverse("account_signup"),
        {
            "email": user.email,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
        follow=True,
    )


def reset_for_unknown_address(client):
    return client.post(
        reverse("account_reset_password"), {"email": "nobody@example.com"}, follow=True
    )


STATES = {
    "login refused": login_refused,
    "just logged in": just_logged_in,
    "just logged out": just_logged_out,
    "email change pending": email_change_pending,
    "password changed": password_changed,
    "signup refused": signup_refused,
    "signup with a taken address": address_already_taken,
    "reset for an unknown address": reset_for_unknown_address,
}


def allauth_url_names() -> set[str]:
    return {
        entry.name
        for entry in _patterns(get_resolver())
        if entry.name and entry.name.startswith("account_")
    }


def _patterns(resolver):
    """The URLconf's patterns outside any namespace (the admin's are "admin:...")."""
    for entry in resolver.url_patterns:
        if hasattr(entry, "url_patterns"):
            if not entry.namespace:
                yield from _patterns(entry)
        else:
            yield entry


def test_every_allauth_page_has_a_recipe():
    missing = allauth_url_names() - PAGES.keys()
    assert missing == set(), f"add to PAGES how a person reaches these pages: {missing}"


@pytest.mark.parametrize("name", sorted(allauth_url_names()))
def test_allauth_page_speaks_in_the_sites_words(client, name):
    response = PAGES[name](client)
    assert response.status_code == 200
    problems = page_problems(response)
    assert problems == [], "\n".join(problems)
    # Every email the page's journey sent, subject and body.
    for message in mail.outbox:
        assert wrong_words(message.subject) == [], message.subject
        assert OFF_VOICE.findall(URL.sub("", message.body)) == [], message.body


@pytest.mark.parametrize("state", sorted(STATES))
def test_account_page_states_speak_in_the_sites_words(client, state):
    response = STATES[state](client)
    assert response.status_code == 200
    problems = page_problems(response)
    assert problems == [], "\n".join(problems)
    for message in mail.outbox:
        assert wrong_words(message.subject) == [], message.subject
        assert OFF_VOICE.findall(URL.sub("", message.body)) == [], message.body


def test_page_shown_while_logging_in_is_unavailable_speaks_in_the_sites_words(client, settings):
    settings.CACHES = {  # Redis refusing connections: logging in fails closed
        "default": {
            "BACKEND": "lms.lib.cache_backends.DegradingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = client.post(reverse("account_login"), {"login": "ada@example.com", "password": "x"})
    assert response.status_code == 503
    problems = page_problems(response)
    assert problems == [], "\n".join(problems)


def subject_templates() -> list[str]:
    """Every email subject allauth has a template for (ours override some of them)."""
    folder = Path(allauth.__file__).parent / "templates" / "account" / "email"
    return sorted(f"account/email/{path.name}" for path in folder.glob("*_subject.txt"))


@pytest.mark.parametrize("template", subject_templates())
def test_every_allauth_email_subject_is_in_sentence_case(template):
    # As allauth's adapter builds a subject: the template on one line, then the prefix.
    rendered = " ".join(render_to_string(template, {}).split())
    subject = get_adapter().format_email_subject(rendered)
    assert subject and wrong_words(subject) == []
    # Lectern's own emails name Lectern in the words, not in a "[Lectern]" tag.
    assert not subject.startswith("["), subject
