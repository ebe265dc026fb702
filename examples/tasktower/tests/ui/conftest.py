"""The page under test: pytest-playwright's `page`, resolving "/" against `base_url`.

Under `pytest --tower` the [ui.tests] stage passes its staging URL as
pytest-playwright's `--base-url` and launches the browser it found on the
machine. Stand-alone, `--base-url URL` (or `$TOWER_BASE_URL`) names a running
Task Tower; without either, tests/conftest.py starts one (gunicorn, temporary
database), and Playwright launches its own Chromium (`python -m playwright
install chromium` once). The page's assets must be built first
(`npm ci && npm run build` in frontend/).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, Response, expect


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config, request: pytest.FixtureRequest) -> str:
    """pytest-playwright's own fixture, with tests/conftest.py's server as the fallback."""
    given = pytestconfig.getoption("--base-url", default=None) or pytestconfig.getini("base_url")
    return str(given or request.getfixturevalue("tower_base_url")).rstrip("/")


@pytest.fixture
def problems(page: Page) -> Iterator[list[str]]:
    """What went wrong in the page, as the browser saw it: console errors, uncaught
    exceptions, and failed or refused requests (404 assets, CSP blocks...)."""
    seen: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(f"console error: {message.text}")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            seen.append(f"{response.status} for {response.request.method} {response.url}")

    def on_page_error(error: Error) -> None:
        seen.append(f"uncaught: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("response", on_response)
    page.on(
        "requestfailed",
        lambda request: seen.append(f"failed: {request.method} {request.url} ({request.failure})"),
    )
    yield seen


@pytest.fixture
def title() -> str:
    """A task title no other test or run uses: staging's database is shared, never empty."""
    return f"UI test {uuid.uuid4().hex[:10]}"


class TasksPage:
    """The page's user-level steps, by role and label."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self, path: str = "/") -> None:
        """Visit a page and wait until its task list has loaded (aria-busy drops to false)."""
        self.page.goto(path)
        expect(self.page.locator("#tasks")).to_have_attribute("aria-busy", "false")

    def item(self, title: str) -> Locator:
        return self.page.get_by_role("listitem").filter(has_text=title)

    def create(self, title: str, *, done: bool = False) -> dict[str, Any]:
        """A task made through the API (the page's own origin), to test what the page shows."""
        created = self.page.request.post("/tasks", data={"title": title})
        assert created.status == 201, created.text()
        task: dict[str, Any] = created.json()
        if done:
            completed = self.page.request.post(f"/tasks/{task['id']}/complete")
            assert completed.status == 200, completed.text()
            task = completed.json()
        return task


@pytest.fixture
def tasks_page(page: Page) -> TasksPage:
    return TasksPage(page)
