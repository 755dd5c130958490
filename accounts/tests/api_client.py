"""Tokens for API tests, obtained the way an app gets them: allauth's headless login."""

from django.test import Client

from accounts.tests.factories import PASSWORD

AUTH = "/api/v1/auth/app/v1"


def login_tokens(user, password: str = PASSWORD) -> dict:
    """``{"access_token", "refresh_token"}`` from a real password login (a new session)."""
    response = Client().post(
        f"{AUTH}/auth/login",
        {"email": user.email, "password": password},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["meta"]


class ApiClient(Client):
    """A test client that sends a bearer token (or none, for a stranger) and JSON bodies.

    ``ApiClient(user)`` logs ``user`` in through the API once; ``.get/.post/.put/.patch/
    .delete`` take a dict body and send it as JSON.
    """

    def __init__(self, user=None, *, token: str | None = None, **kwargs):
        # As an app: no CSRF cookie or token, so an endpoint that needed one would fail.
        kwargs.setdefault("enforce_csrf_checks", True)
        super().__init__(**kwargs)
        self.user = user
        self.tokens = login_tokens(user) if user is not None and token is None else {}
        self.token = token or self.tokens.get("access_token")

    def _auth(self, extra):
        if self.token:
            extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        return extra

    def get(self, path, data=None, **extra):
        return super().get(path, data, **self._auth(extra))

    def head(self, path, data=None, **extra):
        return super().head(path, data, **self._auth(extra))

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, data, content_type=content_type, **self._auth(extra))

    def put(self, path, data=None, content_type="application/json", **extra):
        data = "" if data is None else data  # Django's client would send the text "None"
        return super().put(path, data, content_type=content_type, **self._auth(extra))

    def patch(self, path, data=None, content_type="application/json", **extra):
        data = "" if data is None else data  # Django's client would send the text "None"
        return super().patch(path, data, content_type=content_type, **self._auth(extra))

    def delete(self, path, data=None, content_type="application/json", **extra):
        data = "" if data is None else data  # Django's client would send the text "None"
        return super().delete(path, data, content_type=content_type, **self._auth(extra))
