"""The API's docs page: served from Lectern's own static files, under the site's CSP."""

import json

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_page_renders_the_schema_under_the_csp(page, live_server):
    """The conftest's page fixture fails the test on any CSP violation in the console."""
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.get_by_role("heading", name="Lectern API")).to_be_visible()
    expect(page.get_by_text("/api/v1/courses", exact=True).first).to_be_visible()
    assert requests, "the page made no requests?"
    foreign = [url for url in requests if not url.startswith(live_server.url)]
    assert foreign == [], f"the docs page reached off-site: {foreign}"


def test_schema_is_openapi_3_1_with_problem_errors(client):
    schema = json.loads(client.get("/api/v1/openapi.json").content)
    assert schema["openapi"].startswith("3.1")
    assert "TokenAuth" in schema["components"]["securitySchemes"]
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    errors = [
        content
        for operations in schema["paths"].values()
        for operation in operations.values()
        for status, response in operation["responses"].items()
        if int(status) >= 400
        for content in response.get("content", {})
    ]
    assert errors and set(errors) == {"application/problem+json"}
